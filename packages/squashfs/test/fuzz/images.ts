/**
 * Test support for the reader, verify and fuzz tests: builds source trees on disk and images with
 * the reference tools (mksquashfs, gensquashfs), and parses `unsquashfs -lln`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, linkSync, truncateSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export function tempDir(prefix = 'h2-reader-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Deterministic pseudo-random bytes (xorshift), half compressible text, half noise. */
export function pseudoBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = (i >> 12) % 2 === 0 ? 97 + (x % 7) : x & 0xff;
  }
  return out;
}

/** Tries to set a user xattr with python3's os.setxattr (setfattr is not installed everywhere). */
export function setXattr(path: string, name: string, value: string): boolean {
  const r = spawnSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())', path, name, value]);
  return r.status === 0;
}

export interface TreeOptions {
  bigDir?: number;
  xattrs?: boolean;
  devices?: boolean;
  blockSize?: number;
}

/** A varied tree: nested dirs, hard links, symlinks, fifo, devices (root), xattrs, sparse, boundary sizes, unicode. */
export function buildTree(root: string, options: TreeOptions = {}): { xattrs: boolean; devices: boolean } {
  const bs = options.blockSize ?? 131072;
  mkdirSync(join(root, 'a/b/c'), { recursive: true });
  mkdirSync(join(root, 'empty'));
  writeFileSync(join(root, 'a/hello.txt'), 'hello world\n');
  writeFileSync(join(root, 'a/b/c/deep'), 'deep\n');
  writeFileSync(join(root, 'empty-file'), '');
  writeFileSync(join(root, 'one-block'), pseudoBytes(bs, 1));
  writeFileSync(join(root, 'block-plus-1'), pseudoBytes(bs + 1, 2));
  writeFileSync(join(root, 'block-minus-1'), pseudoBytes(bs - 1, 3));
  writeFileSync(join(root, 'multi'), pseudoBytes(3 * bs + 777, 4));
  writeFileSync(join(root, 'dup-of-hello'), 'hello world\n');
  writeFileSync(join(root, 'zeros'), new Uint8Array(2 * bs + 5));
  writeFileSync(join(root, 'sparse'), '');
  truncateSync(join(root, 'sparse'), 5 * bs + 100);
  writeFileSync(join(root, 'Ünïcödé ✓ 名前'), 'unicode\n');
  writeFileSync(join(root, 'a/b/mode600'), 'secret', { mode: 0o600 });
  execFileSync('chmod', ['4755', join(root, 'a/b/mode600')]);
  linkSync(join(root, 'a/hello.txt'), join(root, 'a/b/hardlink'));
  symlinkSync('a/hello.txt', join(root, 'link'));
  symlinkSync('../'.repeat(40) + 'x'.repeat(300), join(root, 'a/longlink'));
  symlinkSync('dangling-target', join(root, 'dangling'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  let devices = false;
  if (options.devices !== false && isRoot) {
    devices =
      spawnSync('mknod', [join(root, 'chardev'), 'c', '1', '3']).status === 0 &&
      spawnSync('mknod', [join(root, 'blockdev'), 'b', '259', '70000']).status === 0;
  }
  if (options.bigDir !== undefined && options.bigDir > 0) {
    mkdirSync(join(root, 'big'));
    for (let i = 0; i < options.bigDir; i++) writeFileSync(join(root, 'big', `entry-with-a-longish-name-${String(i).padStart(5, '0')}`), i % 10 === 0 ? `${i}\n` : '');
  }
  let xattrs = false;
  if (options.xattrs !== false) {
    xattrs = setXattr(join(root, 'a/hello.txt'), 'user.comment', 'a value') && setXattr(join(root, 'a'), 'user.dir', 'dir value');
    if (xattrs) setXattr(join(root, 'one-block'), 'user.big', 'v'.repeat(2000));
  }
  return { xattrs, devices };
}

export function mksquashfs(src: string, img: string, args: string[] = []): void {
  execFileSync('mksquashfs', [src, img, '-noappend', '-quiet', '-no-progress', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function gensquashfs(src: string, img: string, args: string[] = []): void {
  execFileSync('gensquashfs', ['-D', src, '-f', '-q', ...args, img], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface LlnEntry {
  mode: string;
  uid: number;
  gid: number;
  /** size, or "major,minor" for devices */
  size: string;
  path: string;
  target?: string;
}

/** Parses `unsquashfs -lln -d '' img` lines. */
export function unsquashfsList(img: string): LlnEntry[] {
  const out = execFileSync('unsquashfs', ['-lln', '-d', '', img], { maxBuffer: 1 << 28 }).toString('utf8');
  const entries: LlnEntry[] = [];
  for (const line of out.split('\n')) {
    const m = /^([-dlbcps][-rwxsStT]{9}) (\d+)\/(\d+) +(\d+|\d+, *\d+) \d{4}-\d\d-\d\d \d\d:\d\d (.*)$/.exec(line);
    if (m === null) continue;
    let path = m[5]!;
    let target: string | undefined;
    if (m[1]!.startsWith('l')) {
      const i = path.indexOf(' -> ');
      target = path.slice(i + 4);
      path = path.slice(0, i);
    }
    entries.push({ mode: m[1]!, uid: Number(m[2]), gid: Number(m[3]), size: m[4]!.replace(/ /g, ''), path: path.replace(/^\//, ''), ...(target === undefined ? {} : { target }) });
  }
  return entries;
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}
