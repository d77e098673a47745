import { createServer } from 'node:net';
import { chmod, lchown, link, lutimes, mkdir, open, rm, symlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tree, walkTree } from '../tree/tree.js';
import type { DirNode, FileContent, FsNode } from '../tree/node.js';
import { describeRun, run, which } from './exec.js';
import { isStorableXattr } from './expected.js';
import { xattrIo } from './xattr-io.js';

export interface MaterializeOptions {
  /** Write mtimes newer than this as this (to mirror a writer's clampMtime). */
  clampMtime?: number;
  /** chown every entry (default: when running as root). */
  owners?: boolean;
  /** Create device nodes with mknod (default: when running as root and `mknod` exists). */
  devices?: boolean;
  /** Set xattrs (default true; fails loudly when no xattr tool exists and the tree has some). */
  xattrs?: boolean;
}

export interface MaterializeResult {
  /** Paths not created or not fully described, with the reason (e.g. devices when not root). */
  skipped: { path: string; reason: string }[];
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

async function writeContent(content: FileContent, path: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    let position = 0;
    const source = content.bytes !== undefined ? [content.bytes] : content.open();
    for await (const chunk of source as AsyncIterable<Uint8Array>) {
      // Leave all-zero chunks as holes, as a sparse file on disk would be.
      let zero = true;
      for (let i = 0; i < chunk.length; i++) if (chunk[i] !== 0) { zero = false; break; }
      if (!zero) await handle.write(chunk, 0, chunk.length, position);
      position += chunk.length;
    }
    await handle.truncate(position);
  } finally {
    await handle.close();
  }
}

/**
 * A UNIX socket file that stays after the listener is gone (Node unlinks its own path on close).
 * The socket is bound at a short temporary name in `bindDir` (sun_path holds only 108 bytes) and
 * hard-linked to `path`, which keeps the socket inode when the temporary name goes away.
 */
async function makeSocket(path: string, bindDir: string): Promise<void> {
  let dir = bindDir;
  if (Buffer.byteLength(dir) > 80) dir = tmpdir();
  const temp = join(dir, `.s${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(temp, () => resolve());
  });
  try {
    await link(temp, path);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(temp, { force: true });
  }
}

/**
 * Writes `tree` into the directory `dir` (created if missing; its own metadata becomes the root's),
 * so mksquashfs can build a reference image of the same tree. Hard links become real hard links,
 * sockets real socket files, zero chunks holes. Metadata is applied after all entries exist,
 * directories last and deepest first, so their mtimes stay as given.
 */
export async function materializeTree(tree: Tree | DirNode, dir: string, options: MaterializeOptions = {}): Promise<MaterializeResult> {
  const root = tree instanceof Tree ? tree.root : tree;
  const owners = options.owners ?? isRoot();
  const mknod = await which('mknod');
  const devices = options.devices ?? (isRoot() && mknod !== undefined);
  const wantXattrs = options.xattrs ?? true;
  const xio = wantXattrs ? await xattrIo() : undefined;
  const skipped: MaterializeResult['skipped'] = [];
  await mkdir(dir, { recursive: true });

  const firstPath = new Map<FsNode, string>();
  const created: [string, FsNode][] = [];
  for (const [rel, node] of walkTree(root)) {
    const path = rel === '' ? dir : join(dir, rel);
    const first = firstPath.get(node);
    if (first !== undefined) {
      await link(first, path);
      continue;
    }
    switch (node.kind) {
      case 'dir':
        if (rel !== '') await mkdir(path, { mode: 0o700 });
        break;
      case 'file':
        await writeContent(node.content, path);
        break;
      case 'symlink':
        await symlink(node.target, path);
        break;
      case 'blockdev':
      case 'chardev': {
        if (!devices || mknod === undefined) {
          skipped.push({ path: rel, reason: 'device nodes need root and mknod' });
          continue;
        }
        const args = [path, node.kind === 'blockdev' ? 'b' : 'c', String(node.major), String(node.minor)];
        const r = await run(mknod, args);
        if (r.code !== 0) throw new Error(describeRun('mknod', args, r));
        break;
      }
      case 'fifo': {
        if (mknod === undefined) {
          skipped.push({ path: rel, reason: 'no mknod for fifos' });
          continue;
        }
        const r = await run(mknod, [path, 'p']);
        if (r.code !== 0) throw new Error(describeRun('mknod', [path, 'p'], r));
        break;
      }
      case 'socket':
        await makeSocket(path, dir);
        break;
    }
    firstPath.set(node, path);
    created.push([path, node]);
  }

  // Metadata: non-directories first, then directories deepest first (reverse pre-order).
  const ordered = [...created.filter(([, n]) => n.kind !== 'dir'), ...created.filter(([, n]) => n.kind === 'dir').reverse()];
  for (const [path, node] of ordered) {
    const meta = node.meta;
    const xattrs = [...meta.xattrs].filter(([k]) => isStorableXattr(k));
    if (wantXattrs && xattrs.length > 0) {
      if (xio === undefined) throw new Error('materializeTree: the tree has xattrs but neither @napi-rs/xattr nor setfattr is available');
      for (const [k, v] of xattrs) await xio.set(path, k, v);
    }
    if (owners) await lchown(path, meta.uid, meta.gid);
    if (node.kind !== 'symlink') await chmod(path, meta.mode & 0o7777);
    const mtime = options.clampMtime !== undefined && meta.mtime > options.clampMtime ? options.clampMtime : meta.mtime;
    if (node.kind === 'symlink') await lutimes(path, mtime, mtime);
    else await utimes(path, mtime, mtime);
  }
  return { skipped };
}
