/** Shared helpers of the writer tests: temp files, external tools, materializing a tree on disk. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lchownSync, linkSync, lutimesSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { MemorySink, writeImage, type Codec, type DirNode, type FsNode, type WriteOptions, type WriteResult } from '@sysext-bakery/squashfs';

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
    for (const [name, value] of node.meta.xattrs) {
      const r = run('setfattr', ['-h', '-n', name, '-v', `0x${Buffer.from(value).toString('hex') || '00'}`, path]);
      if (r.status !== 0) throw new Error(`setfattr ${name} on ${path}: ${r.stderr}`);
    }
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

export const hasTool = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
