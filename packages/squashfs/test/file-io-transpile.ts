/**
 * Test helper (not a test): makes plain-JS copies of some src/ modules, and the modules they import,
 * so that a child `node` process (Node 20 cannot run .ts) can load them. The copies live in a temp
 * directory whose node_modules links to the repository's, so bare imports resolve as in src/.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const testDir = dirname(fileURLToPath(import.meta.url));
const srcRoot = resolve(testDir, '../src');
const repoNodeModules = resolve(testDir, '../../../node_modules');

export interface ChildModules {
  dir: string;
  /** Absolute path of the JS copy of a src/ module, e.g. `path('node/file-io.ts')`. */
  path(srcRelative: string): string;
  dispose(): Promise<void>;
}

const IMPORT = /(?:from\s*|import\s*\(\s*|import\s+)'(\.{1,2}\/[^']+)\.js'/g;

export async function transpileForChild(entries: string[]): Promise<ChildModules> {
  const dir = await mkdtemp(join(tmpdir(), 'sqfs-child-'));
  await symlink(repoNodeModules, join(dir, 'node_modules'), 'dir');
  const seen = new Set<string>();
  const queue = entries.map((entry) => resolve(srcRoot, entry));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    for (const match of source.matchAll(IMPORT)) queue.push(resolve(dirname(file), `${match[1]!}.ts`));
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const out = join(dir, relative(srcRoot, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, outputText);
  }
  return {
    dir,
    path: (srcRelative) => join(dir, srcRelative).replace(/\.ts$/, '.js'),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
