/** Shared helpers of the writer tests: temp files, external tools, materializing a tree on disk. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lchownSync, linkSync, lutimesSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { MemorySink, Tree, contentFromFactory, writeImage, type Codec, type DirNode, type FsNode, type WriteOptions, type WriteResult } from '@sysext-bakery/squashfs';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], input?: string): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...(input === undefined ? {} : { input }) });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function makeTempDir(label: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `sqfs-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A SHA-256 hasher from node:crypto (what the Node entry point passes). */
export const nodeHasher = (): { update(b: Uint8Array): void; digest(): Uint8Array } => {
  const h = createHash('sha256');
  return { update: (b) => void h.update(b), digest: () => new Uint8Array(h.digest()) };
};

/** A tiny gzip (zlib stream) codec on node:zlib, independent of the project's codecs. */
export function testZlibCodec(level = 9): Codec & { closed: boolean } {
  const compressSync = (block: Uint8Array): Uint8Array | null => {
    const out = deflateSync(block, { level });
    return out.length < block.length ? new Uint8Array(out.buffer, out.byteOffset, out.length) : null;
  };
  return {
    id: 1,
    name: 'gzip',
    level,
    options: level === 9 ? null : new Uint8Array([level, 0, 0, 0, 15, 0, 0, 0]),
    closed: false,
    compress: async (b) => compressSync(b),
    compressSync,
    async close() {
      this.closed = true;
    },
  };
}

/** Writes the image to `path` through a MemorySink; returns the result and the bytes. */
export async function writeToFile(root: DirNode | { root: DirNode }, path: string, options: WriteOptions = {}): Promise<{ result: WriteResult; bytes: Uint8Array }> {
  const sink = new MemorySink();
  const result = await writeImage(root as DirNode, sink, options);
  const bytes = sink.bytes();
  writeFileSync(path, bytes);
  return { result, bytes };
}

async function contentBytes(node: Extract<FsNode, { kind: 'file' }>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of node.content.open() as AsyncIterable<Uint8Array>) parts.push(c);
  return Buffer.concat(parts);
}

/**
 * Creates the tree on disk (for mksquashfs and for comparisons): modes, owners (unless
 * allRoot), mtimes, xattrs, hard links (same node object), devices, FIFOs and sockets.
 * File contents must be re-readable.
 */
export async function materialize(root: DirNode, dir: string, options: { owners?: boolean } = {}): Promise<void> {
  const seen = new Map<FsNode, string>();
  const dirs: [string, DirNode][] = [];
  const meta = (path: string, node: FsNode): void => {
    if (options.owners) lchownSync(path, node.meta.uid, node.meta.gid);
    if (node.kind !== 'symlink') chmodSync(path, node.meta.mode);
    for (const [name, value] of node.meta.xattrs) setXattr(path, name, value);
  };
  const walk = async (d: DirNode, path: string): Promise<void> => {
    for (const [name, node] of d.entries) {
      const p = join(path, name);
      const first = seen.get(node);
      if (first !== undefined && node.kind !== 'dir') {
        linkSync(first, p);
        continue;
      }
      seen.set(node, p);
      switch (node.kind) {
        case 'dir':
          mkdirSync(p);
          await walk(node, p);
          dirs.push([p, node]);
          continue;
        case 'file':
          writeFileSync(p, await contentBytes(node));
          break;
        case 'symlink':
          symlinkSync(node.target, p);
          break;
        case 'fifo':
          if (run('mkfifo', [p]).status !== 0) throw new Error(`mkfifo ${p}`);
          break;
        case 'socket': {
          const r = run('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', p]);
          if (r.status !== 0) throw new Error(`socket ${p}: ${r.stderr}`);
          break;
        }
        case 'blockdev':
        case 'chardev': {
          const r = run('mknod', [p, node.kind === 'blockdev' ? 'b' : 'c', String(node.major), String(node.minor)]);
          if (r.status !== 0) throw new Error(`mknod ${p}: ${r.stderr}`);
          break;
        }
      }
      meta(p, node);
      if (node.kind === 'symlink') lutimesSync(p, node.meta.mtime, node.meta.mtime);
      else utimesSync(p, node.meta.mtime, node.meta.mtime);
    }
  };
  await walk(root, dir);
  // Directory metadata last (children changed their mtimes), deepest first.
  for (const [p, node] of [...dirs, [dir, root] as [string, DirNode]]) {
    meta(p, node);
    utimesSync(p, node.meta.mtime, node.meta.mtime);
  }
}

/** `unsquashfs -lln` lines without the first column's dir sizes (implementations split headers differently). */
export function normalizedListing(image: string, extra: string[] = []): string[] {
  const r = run('unsquashfs', ['-lln', ...extra, '-d', '', image]);
  if (r.status !== 0) throw new Error(`unsquashfs -lln ${image} failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => /^[-dlbcps][rwxsStT-]{9} /.test(l))
    .map((l) => (l.startsWith('d') ? l.replace(/^(\S+ \S+)\s+\d+/, '$1 <dirsize>') : l).replace(/\s+/g, ' '));
}

/**
 * sqfsdiff between two images; returns its report without the "has a basic type" lines (one side
 * using an extended inode where the other uses a basic one is a representation choice, e.g. our
 * LREG for sparse files) and whether anything else differed.
 */
export function sqfsdiff(a: string, b: string, extra: string[] = []): { equal: boolean; report: string; status: number | null } {
  const r = run('sqfsdiff', ['-a', a, '-b', b, ...extra]);
  const lines = (r.stdout + r.stderr).split('\n').filter((l) => l !== '' && !/ has a basic type$/.test(l));
  return { equal: lines.length === 0 && (r.status === 0 || r.status === 1), report: lines.join('\n'), status: r.status };
}

/** `diff -r --no-dereference`, without the notes diff prints for special files of the same type. */
export function diffTrees(a: string, b: string): string {
  const r = run('diff', ['-r', '--no-dereference', a, b]);
  return (r.stdout + r.stderr)
    .split('\n')
    .filter((l) => l !== '' && !/^File .* is an? (.*) while file .* is an? \1$/.test(l))
    .join('\n');
}

/** Sets an xattr without following symlinks (python3's os.setxattr; setfattr is not installed everywhere). */
export function setXattr(path: string, name: string, value: Uint8Array): void {
  const r = run('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]), follow_symlinks=False)', path, name, Buffer.from(value).toString('hex')]);
  if (r.status !== 0) throw new Error(`setxattr ${name} on ${path}: ${r.stderr}`);
}

/** All xattrs of `path` (not following symlinks), names sorted, values hex. */
export function getXattrs(path: string): Record<string, string> {
  const r = run('python3', [
    '-c',
    'import os,sys,json; p=sys.argv[1]; print(json.dumps({n: os.getxattr(p, n, follow_symlinks=False).hex() for n in sorted(os.listxattr(p, follow_symlinks=False))}))',
    path,
  ]);
  if (r.status !== 0) throw new Error(`getxattr ${path}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}

export const hasTool = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

export const BS = 4096;

export function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    // compressible but not trivial: a short alphabet driven by an LCG
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = 97 + ((x >>> 16) % 7);
  }
  return out;
}

export function random(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A tree that exercises every inode type and the data paths (block size 4 KiB). */
export function kitchenSink(owners: boolean): Tree {
  const t = new Tree({ defaults: { mtime: 1_700_000_000 } });
  const id = (u: number, g: number) => (owners ? { uid: u, gid: g } : {});
  t.file('empty', '');
  t.file('one', 'x');
  t.file('block', pattern(BS, 1));
  t.file('block-1', pattern(BS - 1, 2));
  t.file('block+1', pattern(BS + 1, 3), { mtime: 1_600_000_000 });
  t.file('multi', pattern(5 * BS + 123, 4), { mode: 0o755, ...id(1000, 100) });
  t.file('random', random(3 * BS + 7, 5), id(1001, 1001));
  const sparse = new Uint8Array(6 * BS + 10);
  sparse.set(pattern(100, 6), 2 * BS + 5);
  t.file('sparse', sparse);
  // Streamed content in odd chunk sizes.
  const streamed = pattern(3 * BS + 999, 7);
  t.file(
    'streamed',
    contentFromFactory(function* () {
      for (let i = 0; i < streamed.length; i += 1000) yield streamed.subarray(i, i + 1000);
    }, streamed.length),
  );
  t.file('dir1/dup-of-multi', pattern(5 * BS + 123, 4));
  t.file('dir1/dup-of-one', 'x');
  t.file('dir1/nested/deeper/leaf', 'leaf\n', { mode: 0o4755 });
  t.dir('dir1/emptydir', { mode: 0o700, ...id(0, 5) });
  t.link('dir1/hard-to-multi', 'multi');
  t.link('hard2', 'multi');
  t.symlink('sym', 'dir1/nested/deeper/leaf');
  t.symlink('dir1/long-symlink', 'a/'.repeat(2047) + 'b');
  t.device('dev/blk', 'block', 259, 300000, id(6, 6));
  t.device('dev/chr', 'char', 4095, 255);
  t.fifo('dev/fifo', { mode: 0o600 });
  t.socket('dev/sock');
  // Unicode names: UTF-16 order differs from UTF-8 byte order for these.
  t.file('unicode/\uFF21-fullwidth', 'fw');
  t.file('unicode/\u{1F600}-emoji', 'emoji');
  t.file('unicode/é', 'e-acute');
  t.file('unicode/Z', 'Z');
  t.file('unicode/日本語', 'nihongo');
  return t;
}


/**
 * Whether `mount -o loop -t squashfs` works here (probed once with a mksquashfs image), and why not.
 * Tests use it.skipIf(!mountProbe.ok) and warn loudly with the reason.
 */
export const mountProbe: { ok: boolean; reason: string } = (() => {
  const t = makeTempDir('probe');
  try {
    const src = join(t.dir, 'src');
    mkdirSync(src);
    const img = join(t.dir, 'p.sqfs');
    const m = run('mksquashfs', [src, img, '-noappend', '-quiet', '-no-progress']);
    if (m.status !== 0) return { ok: false, reason: `mksquashfs failed: ${m.stderr}` };
    const mnt = join(t.dir, 'mnt');
    mkdirSync(mnt);
    const r = run('mount', ['-o', 'loop,ro', '-t', 'squashfs', img, mnt]);
    if (r.status !== 0) return { ok: false, reason: `mount -o loop failed: ${(r.stderr || r.stdout).trim()}` };
    run('umount', [mnt]);
    return { ok: true, reason: '' };
  } catch (e) {
    return { ok: false, reason: String(e) };
  } finally {
    t.cleanup();
  }
})();

/** Mounts `image` read-only at a fresh directory under `base`, runs `fn`, unmounts. */
export async function withMount<T>(image: string, base: string, fn: (dir: string) => Promise<T> | T): Promise<T> {
  const mnt = mkdtempSync(join(base, 'mnt-'));
  const r = run('mount', ['-o', 'loop,ro', '-t', 'squashfs', image, mnt]);
  if (r.status !== 0) throw new Error(`mount ${image} failed: ${r.stderr}`);
  try {
    return await fn(mnt);
  } finally {
    const u = run('umount', [mnt]);
    if (u.status !== 0) run('umount', ['-l', mnt]);
  }
}

export function warnSkip(what: string): void {
  if (!mountProbe.ok) console.warn(`SKIPPED ${what}: kernel mount unavailable here (${mountProbe.reason})`);
}

/**
 * A tree whose inode and directory tables span many metadata blocks and whose directories have
 * every height from 0 to 40: a 40-deep chain, 300 directories mixing files and subdirectories
 * (so listings switch between inode blocks), a 700-entry directory (a directory index), hard
 * links and symlinks across directories, and ~200 distinct xattr sets (an xattr table of several
 * blocks). Seeded: the same tree every time.
 */
export function manyDirectories(seed: number, xattrs = true): Tree {
  const t = new Tree({ defaults: { mtime: 1_700_000_000 } });
  let x = seed >>> 0 || 1;
  const next = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 16) % n;
  };
  let chain = 'deep';
  for (let d = 0; d < 40; d++) {
    chain += `/d${d}`;
    t.file(`${chain}/f`, `level ${d}`, { mtime: 1_600_000_000 + d });
  }
  for (let i = 0; i < 300; i++) {
    const dir = `mixed/m${String(i).padStart(3, '0')}${'x'.repeat(next(40))}`;
    const entries = 1 + next(12);
    for (let j = 0; j < entries; j++) {
      const name = `${dir}/${String.fromCharCode(97 + next(26))}${j}`;
      const kind = next(6);
      if (kind === 0) t.dir(`${name}/sub/${'s'.repeat(1 + next(3))}`);
      else if (kind === 1) t.symlink(name, `../target-${next(100)}`);
      else if (kind === 2) t.file(`${name}/inner`, pattern(next(300), i * 31 + j), { uid: next(4), gid: next(3) });
      else {
        const meta = xattrs && next(3) === 0 ? { xattrs: { 'user.tag': `value-${next(200)}-${'v'.repeat(60)}` } } : {};
        t.file(name, pattern(next(2000), i * 17 + j), meta);
      }
    }
  }
  for (let i = 0; i < 700; i++) t.file(`wide/entry-${String(i).padStart(4, '0')}-${'w'.repeat(i % 40)}`, `${i}`);
  for (let i = 0; i < 20; i++) t.link(`links/l${i}`, `wide/entry-${String(i * 7).padStart(4, '0')}-${'w'.repeat((i * 7) % 40)}`);
  t.dir('empty');
  return t;
}
