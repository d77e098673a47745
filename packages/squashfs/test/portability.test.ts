import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// The core of @sysext-bakery/squashfs runs wherever JavaScript runs: only src/node/ and
// src/testing/ may use Node's modules or globals. This guards the boundary on every change.
const src = join(import.meta.dirname, '..', 'src');
const NODE_ONLY = new Set(['node', 'testing']);

function coreFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return dir === src && NODE_ONLY.has(name) ? [] : coreFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Strips comments so prose that mentions Buffer or process is not flagged. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('portable core', () => {
  const files = coreFiles(src);

  it('has core files to check', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files.map((f) => [relative(src, f), f]))('%s imports nothing from Node', (_name, file) => {
    const text = code(readFileSync(file, 'utf8'));
    expect(text).not.toMatch(/from\s+['"](node:|fs|path|os|zlib|crypto|worker_threads|child_process)['"/]/);
    expect(text).not.toMatch(/\bimport\(\s*['"]node:/);
    expect(text).not.toMatch(/\brequire\(/);
    expect(text).not.toMatch(/\bprocess\.(env|platform|exit|cwd|on)\b/);
    expect(text).not.toMatch(/(?<!\.)\bBuffer\.(from|alloc|concat|isBuffer)\b/);
  });
});
