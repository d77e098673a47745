/**
 * extractImage against `unsquashfs -d`: the same tree (types, modes, owners, mtimes, contents,
 * symlink targets, hard links, devices, fifos, xattrs), plus the refusal cases.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SquashfsError } from '@sysext-bakery/squashfs';
import { extractImage, openImageFile } from '@sysext-bakery/squashfs/node';
import { buildTree, cleanup, have, isRoot, mksquashfs, tempDir } from './fuzz/images.js';

const tools = have('mksquashfs') && have('unsquashfs');
if (!tools) console.warn('reader-extract: SKIPPED, mksquashfs/unsquashfs not installed');
if (tools && !isRoot) console.warn('reader-extract: not root, so devices, fifos and owners are not compared');

function listXattrs(path: string): Record<string, string> {
  const r = spawnSync('python3', ['-c', 'import os,sys,json; p=sys.argv[1]; print(json.dumps({k: os.getxattr(p,k,follow_symlinks=False).hex() for k in os.listxattr(p,follow_symlinks=False)}))', path]);
  return r.status === 0 ? (JSON.parse(r.stdout.toString()) as Record<string, string>) : {};
}

interface Node {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  rdev: number;
  content?: string;
  target?: string;
}

function snapshot(root: string): { nodes: Map<string, Node>; inos: Map<string, number> } {
  const nodes = new Map<string, Node>();
  const inos = new Map<string, number>();
  const visit = (rel: string) => {
    const p = rel === '' ? root : join(root, rel);
    const st = lstatSync(p);
    const type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'chardev' : st.isBlockDevice() ? 'blockdev' : 'other';
    const n: Node = { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000), size: type === 'file' ? st.size : 0, rdev: st.rdev };
    if (type === 'file') n.content = readFileSync(p).toString('base64');
    if (type === 'symlink') {
      n.target = readlinkSync(p);
      n.mode = 0;
    }
    nodes.set(rel, n);
    inos.set(rel, st.ino);
    if (type === 'dir') for (const name of readdirSync(p).sort()) visit(rel === '' ? name : `${rel}/${name}`);
  };
  visit('');
  return { nodes, inos };
}

describe.skipIf(!tools)('extractImage vs unsquashfs -d', () => {
  let dir = '';
  let img = '';
  let xattrs = false;
  beforeAll(() => {
    dir = tempDir('h2-extract-');
    const src = join(dir, 'src');
    xattrs = buildTree(src, { bigDir: 50 }).xattrs;
    img = join(dir, 'image.sqfs');
    mksquashfs(src, img, ['-comp', 'zstd']);
  });
  afterAll(() => cleanup(dir));

  it('extracts the same tree as unsquashfs', async () => {
    const ours = join(dir, 'ours');
    const theirs = join(dir, 'theirs');
    execFileSync('unsquashfs', ['-q', '-n', '-d', theirs, img], { stdio: 'ignore' });
    const image = await openImageFile(img);
    const warnings: string[] = [];
    const result = await extractImage(image, ours, { xattrs: true, onWarning: (m, p) => warnings.push(`${p}: ${m}`) });
    await image.close();
    expect(result.hardLinks).toBe(1);
    const a = snapshot(ours);
    const b = snapshot(theirs);
    expect([...a.nodes.keys()]).toEqual([...b.nodes.keys()]);
    for (const [path, node] of b.nodes) expect(a.nodes.get(path), path).toEqual(node);
    // the hard link is one inode on disk
    expect(a.inos.get('a/hello.txt')).toBe(a.inos.get('a/b/hardlink'));
    expect(a.inos.get('a/hello.txt')).not.toBe(a.inos.get('dup-of-hello'));
    if (isRoot) {
      expect(a.nodes.get('fifo')!.type).toBe('fifo');
      expect(result.skipped).toEqual([]);
    }
    // xattrs: restored when @napi-rs/xattr is present (else a warning says so)
    if (xattrs && !warnings.some((w) => w.includes('@napi-rs/xattr'))) {
      expect(listXattrs(join(ours, 'a/hello.txt'))).toEqual(listXattrs(join(theirs, 'a/hello.txt')));
      expect(listXattrs(join(ours, 'a'))).toEqual(listXattrs(join(theirs, 'a')));
      expect(Object.keys(listXattrs(join(ours, 'a/hello.txt')))).toEqual(['user.comment']);
    }
  });

  it('refuses a non-empty destination', async () => {
    const dest = join(dir, 'busy');
    mkdirSync(dest);
    writeFileSync(join(dest, 'x'), '');
    const image = await openImageFile(img);
    await expect(extractImage(image, dest)).rejects.toSatisfy((e: unknown) => e instanceof SquashfsError && e.code === 'INVALID_ARGUMENT');
    await image.close();
  });
});
