import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SquashfsError, Tree, XattrNameFilter, type SquashfsWarning } from '@sysext-bakery/squashfs';
import { addDirectory, contentFromPath, decodeRdev, fromDirectory } from '@sysext-bakery/squashfs/node';
import { buildFixture, compareTree, isRoot, listDisk, readContent, tempDir, xattr } from './input-fixture.js';

let work: string;
let src: string;
const closers: Array<() => void> = [];

beforeAll(async () => {
  work = tempDir('dir');
  src = join(work, 'src');
  buildFixture(src, { devices: true, xattrs: true });
  // A socket (bound by a server we close at the end; the socket file stays).
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(src, 'usr/sock'), resolve));
  closers.push(() => server.close());
  utimesSync(join(src, 'usr'), 1_650_000_000, 1_650_000_000);
  if (!isRoot) console.warn('directory-import: not root, so no device nodes and no foreign uid/gid in the fixture');
  if (xattr === undefined) console.warn('directory-import: @napi-rs/xattr missing, xattrs are not checked');
});
afterAll(() => {
  for (const close of closers) close();
  rmSync(work, { recursive: true, force: true });
});

describe('fromDirectory', () => {
  it.each([{ sync: false }, { sync: true }])('reproduces every entry of a real directory: metadata, content, links, devices, fifo, socket, xattrs (%o)', async ({ sync }) => {
    const warnings: SquashfsWarning[] = [];
    const tree = await fromDirectory(src, { sync, onWarning: (w) => warnings.push(w) });
    const problems = await compareTree(tree, listDisk(src, true), { root: true, xattrs: true });
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(tree.get('usr/sock')?.kind).toBe('socket');
    expect(tree.get('usr/fifo')?.kind).toBe('fifo');
    expect(tree.get('usr/bin/multi')).toBe(tree.get('etc/multi-3'));
    expect(tree.get('usr/bin/multi')).toBe(tree.get('usr/bin/multi-2'));
    if (isRoot) {
      expect(tree.get('dev/big')).toMatchObject({ kind: 'chardev', major: 259, minor: 70000 });
      expect(tree.get('dev/loop0')).toMatchObject({ kind: 'blockdev', major: 7, minor: 0 });
      expect(tree.get('etc/private/secret')?.meta).toMatchObject({ uid: 1234, gid: 5678 });
    }
    if (xattr !== undefined) {
      expect([...tree.get('usr/bin/tool')!.meta.xattrs.keys()].sort()).toEqual(['trusted.overlay', 'user.mime']);
      expect(tree.get('usr/bin/tool-link')!.meta.xattrs.size).toBe(0);
    }
  });

  it.each([{ sync: false }, { sync: true }])('adds under a prefix with owner, mtime and filter options; merges directories (%o)', async ({ sync }) => {
    const tree = new Tree();
    tree.file('opt/app/existing', 'x');
    await addDirectory(tree, join(src, 'usr'), {
      sync,
      prefix: 'opt/app',
      allRoot: true,
      mtime: 99,
      filter: (rel, st) => !rel.startsWith('lll') && !st.isSocket() && rel !== 'bin/multi-2',
    });
    const paths = [...tree.walk()].map(([p]) => p);
    expect(paths).toContain('opt/app/existing');
    expect(paths).toContain('opt/app/bin/tool');
    expect(paths.filter((p) => p.includes('lll') || p.endsWith('sock') || p.endsWith('multi-2'))).toEqual([]);
    for (const [path, node] of tree.walk()) {
      if (!path.startsWith('opt/app/') || path === 'opt/app/existing') continue;
      expect(node.meta).toMatchObject({ uid: 0, gid: 0, mtime: 99 });
    }
    // The source directory's own metadata goes to the prefix directory.
    expect(tree.get('opt/app')!.meta).toMatchObject({ mtime: 99, mode: statSync(join(src, 'usr')).mode & 0o7777 });
    expect(tree.get('opt')!.meta).toMatchObject({ mtime: 0, mode: 0o755 });
    await expect(addDirectory(tree, join(src, 'usr'), { sync, prefix: 'opt/app' })).rejects.toMatchObject({ code: 'DUPLICATE_NAME' });
  });

  it('maps Windows hosts: fixed modes, owner 0, no xattrs', async () => {
    const tree = await fromDirectory(join(src, 'usr'), { platform: 'win32' });
    for (const [, node] of tree.walk()) {
      const want = node.kind === 'dir' ? 0o755 : node.kind === 'symlink' ? 0o777 : 0o644;
      expect(node.meta).toMatchObject({ mode: want, uid: 0, gid: 0 });
      expect(node.meta.xattrs.size).toBe(0);
    }
  });

  it('refuses a name that is not valid UTF-8, naming the path', async () => {
    const dir = join(work, 'badname');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/sub/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]), 'x');
    for (const sync of [false, true]) {
      const error = await fromDirectory(dir, { sync }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SquashfsError);
      expect((error as SquashfsError).code).toBe('INVALID_NAME');
      expect((error as SquashfsError).message).toContain('bad-\\\\xff\\\\xfe.txt');
      expect((error as SquashfsError).path).toBe(join(dir, 'sub', 'bad-\\xff\\xfe.txt'));
    }
  });

  it('refuses a source that is missing or not a directory', async () => {
    for (const sync of [false, true]) {
      await expect(fromDirectory(join(work, 'nothing-here'), { sync })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(fromDirectory(join(src, 'empty'), { sync })).rejects.toMatchObject({ code: 'NOT_A_DIRECTORY' });
    }
  });

  it('keeps hard links inside the tree only and follows a symlinked source root', async () => {
    const dir = join(work, 'links');
    mkdirSync(join(dir, 'a'), { recursive: true });
    writeFileSync(join(dir, 'a/one'), 'shared');
    linkSync(join(dir, 'a/one'), join(dir, 'a/two'));
    linkSync(join(dir, 'a/one'), join(work, 'outside-link'));
    symlinkSync(dir, join(work, 'links-symlink'));
    const tree = await fromDirectory(join(work, 'links-symlink'));
    expect(tree.get('a/one')).toBe(tree.get('a/two'));
    expect([...tree.walk()].filter(([, n]) => n === tree.get('a/one'))).toHaveLength(2);
  });
});

describe('fromDirectory time and xattr edge cases', () => {
  it('clamps mtimes outside the u32 range, with a warning', async () => {
    const dir = join(work, 'times');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'old'), '');
    writeFileSync(join(dir, 'future'), '');
    execFileSync('touch', ['-h', '-d', '1960-01-01 00:00:00 UTC', join(dir, 'old')]);
    utimesSync(join(dir, 'future'), 2 ** 32 + 5, 2 ** 32 + 5);
    const warnings: SquashfsWarning[] = [];
    const tree = await fromDirectory(dir, { onWarning: (w) => warnings.push(w) });
    expect(tree.get('old')!.meta.mtime).toBe(0);
    expect(tree.get('future')!.meta.mtime).toBe(0xffffffff);
    expect(warnings.map((w) => w.code)).toEqual(['TIME_CLAMPED', 'TIME_CLAMPED']);
  });

  it('filters xattr names: storable namespaces only, one warning per dropped name', () => {
    const warnings: SquashfsWarning[] = [];
    const filter = new XattrNameFilter((w) => warnings.push(w));
    expect(filter.keep('user.a', 'x')).toBe(true);
    expect(filter.keep('trusted.overlay.opaque', 'x')).toBe(true);
    expect(filter.keep('security.selinux', 'x')).toBe(true);
    expect(filter.keep('system.posix_acl_access', 'x')).toBe(false);
    expect(filter.keep('system.posix_acl_access', 'y')).toBe(false);
    expect(filter.keep('com.apple.provenance', 'y')).toBe(false);
    expect(filter.keep('user.', 'y')).toBe(false);
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringContaining('"system.posix_acl_access" dropped (first seen on "x")'),
      expect.stringContaining('"com.apple.provenance"'),
      expect.stringContaining('"user."'),
    ]);
  });
});

describe('contentFromPath', () => {
  it('is re-openable and yields exactly the bytes, in reads of at most 1 MiB', async () => {
    const file = join(work, 'big.bin');
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    writeFileSync(file, bytes);
    const content = contentFromPath(file, bytes.length);
    expect(content.size).toBe(bytes.length);
    for (let round = 0; round < 2; round++) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of content.open()) chunks.push(chunk);
      expect(chunks.every((c) => c.length <= 1 << 20)).toBe(true);
      expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    }
    const node = (await fromDirectory(work, { filter: (rel) => rel === 'big.bin' })).get('big.bin')!;
    expect((await readContent(node)).equals(bytes)).toBe(true);
  });

  it('fails with IO naming the path when the file is gone', async () => {
    const content = contentFromPath(join(work, 'vanished'));
    const error = await (async () => {
      for await (const _ of content.open()) void _;
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IO', path: join(work, 'vanished') });
  });
});

/** glibc's gnu_dev_makedev. */
function makedev(major: number, minor: number): bigint {
  const M = BigInt(major);
  const m = BigInt(minor);
  return ((M & 0xfffn) << 8n) | ((M & 0xfffff000n) << 32n) | (m & 0xffn) | ((m & 0xffffff00n) << 12n);
}

describe('decodeRdev', () => {
  it.each([
    ['linux', 0x0103n, 1, 3],
    ['linux', 0x0700n, 7, 0],
    ['linux', makedev(259, 70000), 259, 70000],
    ['linux', makedev(0xfffff, 0xffffffff), 0xfffff, 0xffffffff],
    ['linux', makedev(0x12345, 0xabcdef12), 0x12345, 0xabcdef12],
    ['darwin', (14n << 24n) | 2n, 14, 2],
    ['darwin', (3n << 24n) | 0x10000n, 3, 0x10000],
    ['freebsd', (0x12n << 8n) | 0x34n, 0x12, 0x34],
  ] as const)('%s %s → %i:%i', (platform, rdev, major, minor) => {
    expect(decodeRdev(rdev, platform)).toEqual({ major, minor });
  });

  it('matches the kernel for a real device node', () => {
    if (!isRoot) {
      console.warn('decodeRdev: not root, cannot mknod; skipped');
      return;
    }
    const node = join(work, 'dev-check');
    execFileSync('mknod', [node, 'b', '254', '300000']);
    expect(decodeRdev(statSync(node, { bigint: true }).rdev, 'linux')).toEqual({ major: 254, minor: 300000 });
  });
});
