// Lazily read directories (`fromDirectory(dir, { lazy: true })`: the writer reads each directory
// when it reaches it) and the small-file fast path (`FileContent.readInto`). Both must give the
// same image, byte for byte, as the eager scan and the streaming path, and fail as clearly.
import { appendFileSync, mkdirSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SquashfsError, Tree, hasLazyDirs, loadTree, writeImageToBytes, type DirNode, type FileContent, type FsNode, type WriteProgress } from '@sysext-bakery/squashfs';
import { addDirectory, contentFromPath, fromDirectory } from '@sysext-bakery/squashfs/node';
import { buildFixture, compareTree, listDisk, tempDir } from './input-fixture.js';
import { normalizedListing, run } from './writer-helpers.js';

let work: string;
let src: string;

beforeAll(() => {
  work = tempDir('lazy');
  src = join(work, 'src');
  buildFixture(src, { devices: true, xattrs: true });
  // A wider tree: many small files (fragments, duplicates) in nested directories.
  for (let d = 0; d < 12; d++) {
    mkdirSync(join(src, `pkg/m${d}/lib/sub`), { recursive: true });
    for (let f = 0; f < 15; f++) writeFileSync(join(src, `pkg/m${d}/lib/f${f}.js`), `module ${d} file ${f}\n`.repeat(1 + ((d * 7 + f) % 40)));
    writeFileSync(join(src, `pkg/m${d}/LICENSE`), 'the same license text\n'.repeat(30));
    writeFileSync(join(src, `pkg/m${d}/lib/sub/big.bin`), Buffer.alloc(300_000 + d, d));
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const fixed = { mkfsTime: 1_700_000_000 } as const;

describe('lazy directory reading', () => {
  it.each([{ sync: true }, { sync: false }])('gives the same image as an eager scan, byte for byte (%o)', async ({ sync }) => {
    const eager = await writeImageToBytes(await fromDirectory(src, { sync }), fixed);
    const lazyTree = await fromDirectory(src, { sync, lazy: true });
    expect(hasLazyDirs(lazyTree.root)).toBe(true);
    const progress: WriteProgress[] = [];
    const lazy = await writeImageToBytes(lazyTree, { ...fixed, onProgress: (p) => progress.push(p) });
    expect(Buffer.from(lazy).equals(Buffer.from(eager))).toBe(true);
    // While the tree is still being read the total is unknown; every file is reported once.
    expect(progress.every((p) => p.filesTotal === undefined)).toBe(true);
    expect(progress.map((p) => p.filesDone)).toEqual(progress.map((_, i) => i + 1));
    // Fully read now, and what the writer saw is what is on disk.
    expect(hasLazyDirs(lazyTree.root)).toBe(false);
    expect(await compareTree(lazyTree, listDisk(src, true), { root: true, xattrs: true })).toEqual([]);
  });

  it('writes an image unsquashfs lists exactly like the eager one', async () => {
    const out = join(work, 'lazy.img');
    const eagerOut = join(work, 'eager.img');
    writeFileSync(out, await writeImageToBytes(await fromDirectory(src, { sync: true, lazy: true }), fixed));
    writeFileSync(eagerOut, await writeImageToBytes(await fromDirectory(src, { sync: true }), fixed));
    const listing = normalizedListing(out);
    expect(listing.length).toBeGreaterThan(200);
    expect(listing).toEqual(normalizedListing(eagerOut));
    expect(run('unsquashfs', ['-d', join(work, 'x'), out]).status).toBe(0);
  });

  it('loads synchronously read directories when the tree is walked or changed', async () => {
    const tree = await fromDirectory(src, { sync: true, lazy: true });
    expect(tree.get('pkg/m3/lib/f2.js')?.kind).toBe('file');
    expect(tree.get('usr/bin/multi')).toBe(tree.get('etc/multi-3')); // hard links across directories
    tree.file('pkg/m3/lib/added.txt', 'added');
    const paths = [...tree.walk()].map(([p]) => p);
    expect(paths).toContain('pkg/m11/lib/sub/big.bin');
    expect(paths).toContain('pkg/m3/lib/added.txt');
    expect(hasLazyDirs(tree.root)).toBe(false);
  });

  it('asks for loadTree() before an asynchronously read tree is walked, then walks it', async () => {
    const tree = await fromDirectory(src, { lazy: true });
    let error: unknown;
    try {
      tree.get('pkg/m3/lib/f2.js');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SquashfsError);
    expect((error as SquashfsError).code).toBe('INVALID_ARGUMENT');
    expect((error as SquashfsError).message).toMatch(/loadTree/);
    await loadTree(tree);
    expect(hasLazyDirs(tree.root)).toBe(false);
    expect(await compareTree(tree, listDisk(src, true), { root: true, xattrs: true })).toEqual([]);
  });

  it('merges two lazily read sources into one directory in the order they were added', async () => {
    const other = join(work, 'other');
    mkdirSync(join(other, 'pkg/m3/lib'), { recursive: true });
    writeFileSync(join(other, 'pkg/m3/lib/extra.js'), 'extra');
    const build = async (lazy: boolean): Promise<Uint8Array> => {
      const tree = new Tree();
      await addDirectory(tree, src, { sync: true, lazy, prefix: 'a' });
      await addDirectory(tree, other, { sync: true, lazy, prefix: 'a', rootMeta: false });
      return writeImageToBytes(tree, fixed);
    };
    const lazy = await build(true);
    expect(Buffer.from(lazy).equals(Buffer.from(await build(false)))).toBe(true);
  });

  it('reports a directory that vanished before it was read, naming it', async () => {
    const dir = join(work, 'vanish');
    mkdirSync(join(dir, 'a/b'), { recursive: true });
    writeFileSync(join(dir, 'a/b/file'), 'x');
    const tree = await fromDirectory(dir, { sync: true, lazy: true }); // lists a, not yet a/b
    rmSync(join(dir, 'a'), { recursive: true });
    const failure = await writeImageToBytes(tree, fixed).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(SquashfsError);
    expect((failure as SquashfsError).code).toBe('IO');
    expect((failure as SquashfsError).message).toContain(`cannot read directory ${join(dir, 'a')}`);
  });

  it.each([
    ['an entry was added to', (tree: Tree): void => void tree.file('a/sneaked-in', 'late'), /changed while it was being written.*sneaked-in/],
    ['an entry was removed from', (_tree: Tree, a: DirNode): void => void a.entries.delete('gone'), /changed while it was being written.*gone/],
    [
      'an entry was replaced by another node in',
      (_tree: Tree, a: DirNode): void => {
        const other = new Tree();
        other.file('early', 'replaced');
        a.entries.set('early', other.get('early')!); // same name, same count: another node
      },
      /changed while it was being written.*early/,
    ],
  ] as const)('refuses a tree where %s a directory the writer had already walked', async (_what, change, message) => {
    const tree = new Tree();
    tree.file('a/early', 'early');
    tree.file('a/gone', 'gone');
    const late = tree.dir('b');
    // b's loader changes a, which the writer has already walked.
    late.load = () => {
      delete late.load;
      const a = tree.get('a');
      if (a?.kind !== 'dir') throw new Error('a is not a directory');
      change(tree, a);
      tree.file('b/own', 'own');
    };
    const failure = await writeImageToBytes(tree, fixed).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(SquashfsError);
    expect((failure as SquashfsError).code).toBe('INVALID_ARGUMENT');
    expect((failure as SquashfsError).message).toMatch(message);
  });
});

describe('small files read with readInto', () => {
  const streamingOnly = (content: FileContent): FileContent => ({ size: content.size!, open: () => content.open() });

  it('gives the same image as the streaming path, duplicates and hard links included', async () => {
    const tree = await fromDirectory(src, { sync: true });
    const license = tree.get('pkg/m0/LICENSE');
    expect(license?.kind === 'file' ? typeof license.content.readInto : undefined).toBe('function');
    // The same tree with contents that can only be streamed (hard links stay one node).
    const streaming = new Tree();
    const copies = new Map<FsNode, FsNode>();
    for (const [path, node] of tree.walk()) {
      if (path === '' || node.kind === 'dir') continue;
      let copy = copies.get(node);
      if (copy === undefined) {
        copy = node.kind === 'file' ? { ...node, content: streamingOnly(node.content) } : node;
        copies.set(node, copy);
      }
      streaming.insert(path, copy);
    }
    for (const [path, node] of tree.walk()) if (path !== '' && node.kind === 'dir') streaming.dir(path).meta = node.meta;
    streaming.root.meta = tree.root.meta;
    const a = await writeImageToBytes(tree, fixed);
    const b = await writeImageToBytes(streaming, fixed);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('counts identical small files as duplicates', async () => {
    const dir = join(work, 'dups');
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `copy${i}`), 'same bytes\n');
    writeFileSync(join(dir, 'other'), 'other bytes');
    const tree = await fromDirectory(dir, { sync: true });
    const { writeImage, MemorySink } = await import('@sysext-bakery/squashfs');
    const result = await writeImage(tree, new MemorySink(), fixed);
    expect(result.duplicates).toBe(4);
    expect(result.fragments).toBe(1);
  });

  it.each([
    { change: 'grew', edit: (p: string) => appendFileSync(p, 'more'), code: 'SIZE_MISMATCH', message: /grow/ },
    { change: 'shrank', edit: (p: string) => truncateSync(p, 3), code: 'SIZE_MISMATCH', message: /shrink/ },
    { change: 'vanished', edit: (p: string) => unlinkSync(p), code: 'IO', message: /cannot open/ },
  ])('refuses a small file that $change after the scan, naming it', async ({ edit, code, message }) => {
    const dir = join(work, `change-${code}-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'small.txt');
    writeFileSync(file, 'small file content');
    const content = contentFromPath(file, 18);
    expect(content.readInto).toBeTypeOf('function');
    const tree = new Tree();
    tree.file('small.txt', content);
    edit(file);
    const failure = await writeImageToBytes(tree, fixed).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(SquashfsError);
    expect((failure as SquashfsError).code).toBe(code);
    expect((failure as SquashfsError).message).toMatch(message);
    expect((failure as SquashfsError).message).toContain('small.txt');
  });

  it('turns a throwing readInto into an IO error with the path', async () => {
    const tree = new Tree();
    tree.file('dir/broken', {
      size: 10,
      open: () => [new Uint8Array(10)],
      readInto: () => {
        throw new Error('device went away');
      },
    });
    const failure = await writeImageToBytes(tree, fixed).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(SquashfsError);
    expect((failure as SquashfsError).code).toBe('IO');
    expect((failure as SquashfsError).message).toMatch(/\/dir\/broken.*device went away/);
  });
});
