import { createHash } from 'node:crypto';
import { Tree, walkTree } from '../tree/tree.js';
import { nameBytes } from '../tree/names.js';
import type { DirNode, FileContent, FsNode, FsNodeKind } from '../tree/node.js';

/** How the image was written, as far as it changes what a reader should see. */
export interface ExpectOptions {
  /** The image was written with allRoot (every uid/gid 0). */
  allRoot?: boolean;
  /** mtimes newer than this were clamped to it. */
  clampMtime?: number;
  /** xattrs were stored (default true). */
  xattrs?: boolean;
}

/** One path of the tree as every reader of the image should see it. */
export interface ExpectedEntry {
  /** "" for the root, else "a/b/c". */
  path: string;
  node: FsNode;
  kind: FsNodeKind;
  /** Permission bits 0..0o7777. */
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** Directories: 2 + subdirectories; others: number of directory entries naming the node. */
  nlink: number;
  /** Files: content size (undefined for unsized streams); symlinks: target length in bytes. */
  size?: number;
  target?: string;
  major?: number;
  minor?: number;
  /** Only names SquashFS can store (user., trusted., security.). */
  xattrs: Map<string, Uint8Array>;
  /** Same number ⇔ same inode (hard links). */
  identity: number;
  /** Every path naming the same inode, in walk order (first is the "original"). */
  paths: string[];
}

export const STORABLE_XATTR_PREFIXES = ['user.', 'trusted.', 'security.'] as const;

export function isStorableXattr(name: string): boolean {
  return STORABLE_XATTR_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length);
}

function rootOf(tree: Tree | DirNode): DirNode {
  return tree instanceof Tree ? tree.root : tree;
}

/** Flattens a tree into what an image written from it must contain, in walk (byte) order. */
export function expectedEntries(tree: Tree | DirNode, options: ExpectOptions = {}): ExpectedEntry[] {
  const root = rootOf(tree);
  const walked = [...walkTree(root)];
  const ids = new Map<FsNode, number>();
  const paths = new Map<FsNode, string[]>();
  for (const [path, node] of walked) {
    if (!ids.has(node)) ids.set(node, ids.size);
    const list = paths.get(node);
    if (list === undefined) paths.set(node, [path]);
    else list.push(path);
  }
  const storeXattrs = options.xattrs ?? true;
  return walked.map(([path, node]) => {
    const meta = node.meta;
    const xattrs = new Map<string, Uint8Array>();
    if (storeXattrs) for (const [k, v] of meta.xattrs) if (isStorableXattr(k)) xattrs.set(k, v);
    const mtime = options.clampMtime !== undefined && meta.mtime > options.clampMtime ? options.clampMtime : meta.mtime;
    const entry: ExpectedEntry = {
      path,
      node,
      kind: node.kind,
      mode: meta.mode & 0o7777,
      uid: options.allRoot === true ? 0 : meta.uid,
      gid: options.allRoot === true ? 0 : meta.gid,
      mtime,
      nlink: node.kind === 'dir' ? 2 + [...node.entries.values()].filter((c) => c.kind === 'dir').length : paths.get(node)!.length,
      xattrs,
      identity: ids.get(node)!,
      paths: paths.get(node)!,
    };
    if (node.kind === 'file' && node.content.size !== undefined) entry.size = node.content.size;
    if (node.kind === 'symlink') {
      entry.target = node.target;
      entry.size = nameBytes(node.target).length;
    }
    if (node.kind === 'blockdev' || node.kind === 'chardev') {
      entry.major = node.major;
      entry.minor = node.minor;
    }
    return entry;
  });
}

export interface ContentDigest {
  size: number;
  sha256: string;
}

const digestCache = new WeakMap<FileContent, Promise<ContentDigest>>();

/** SHA-256 and size of a re-openable FileContent (cached per content object). */
export function contentDigest(content: FileContent): Promise<ContentDigest> {
  let hit = digestCache.get(content);
  if (hit === undefined) {
    hit = (async () => {
      const hash = createHash('sha256');
      let size = 0;
      const source = content.bytes !== undefined ? [content.bytes] : content.open();
      for await (const chunk of source as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        size += chunk.length;
      }
      return { size, sha256: hash.digest('hex') };
    })();
    digestCache.set(content, hit);
  }
  return hit;
}

/** Formats a mode as ls does (without the type letter). */
export function modeString(mode: number): string {
  const r = (bit: number, ch: string): string => ((mode & bit) !== 0 ? ch : '-');
  const x = (exec: number, special: number, set: string, unset: string): string =>
    (mode & special) !== 0 ? ((mode & exec) !== 0 ? set : unset) : (mode & exec) !== 0 ? 'x' : '-';
  return (
    r(0o400, 'r') + r(0o200, 'w') + x(0o100, 0o4000, 's', 'S') +
    r(0o040, 'r') + r(0o020, 'w') + x(0o010, 0o2000, 's', 'S') +
    r(0o004, 'r') + r(0o002, 'w') + x(0o001, 0o1000, 't', 'T')
  );
}

export const KIND_LETTER: Record<FsNodeKind, string> = {
  dir: 'd',
  file: '-',
  symlink: 'l',
  blockdev: 'b',
  chardev: 'c',
  fifo: 'p',
  socket: 's',
};
