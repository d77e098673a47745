import { SquashfsError, type SquashfsWarning } from '../errors.js';
import { SQUASHFS_INVALID_XATTR, SQUASHFS_MAX_IDS, U32_MAX } from '../format/constants.js';
import { encodeXattrPair, splitXattrName } from '../format/xattr-table.js';
import { MAX_SYMLINK_BYTES, compareBytes, nameBytes, nameProblem } from '../tree/names.js';
import type { FilePlacement } from '../data/file-writer.js';
import type { DirNode, FileNode, FsNode } from '../tree/node.js';

export interface Child {
  name: Uint8Array;
  /** The name as the directory's Map key. */
  key: string;
  node: FsNode;
  path: string;
  /** The node's record, once {@link TreePreparer.child} met this entry. */
  info: NodeInfo | null;
}

/** One distinct xattr set: its encoded kv pairs, pair count and the stat size mksquashfs records. */
export interface XattrSet {
  pairs: Uint8Array[];
  size: number;
}

/** What {@link prepareTree} learns about one node. */
export interface NodeInfo {
  /** Inode number (1..inodeCount, mksquashfs pre-order, root last). */
  ino: number;
  /** References to the node in the tree (a non-directory's nlink). */
  refs: number;
  /** First path of the node (for messages). */
  path: string;
  /** Index of its xattr set, or SQUASHFS_INVALID_XATTR. */
  xattr: number;
  /** Directories: the children sorted by name bytes, and how many of them are directories. */
  children: Child[] | null;
  subdirs: number;
  /** Files: where the writer put the data (set as it is written). */
  placement: FilePlacement | null;
}

/** A file in data order: its node, first path and record. */
export interface DataFile {
  node: FileNode;
  path: string;
  info: NodeInfo;
}

/** Everything known about the tree before any data is written. */
export interface PreparedTree {
  root: DirNode;
  /** Every node, once (one record per node rather than a map per property: less work and garbage). */
  nodes: Map<FsNode, NodeInfo>;
  /** Files in data order (first reference, pre-order), each once. */
  files: DataFile[];
  ids: number[];
  idIndex: Map<number, number>;
  xattrSets: XattrSet[];
  inodeCount: number;
  /** Newest (clamped) mtime. */
  newestMtime: number;
}

export interface PrepareOptions {
  allRoot: boolean;
  xattrs: boolean;
  clampMtime: number | undefined;
  onWarning: ((w: SquashfsWarning) => void) | undefined;
}

const encoder = new TextEncoder();

function bad(path: string, message: string, code: 'INVALID_ARGUMENT' | 'LIMIT_EXCEEDED' | 'SYMLINK_TOO_LONG' = 'INVALID_ARGUMENT'): SquashfsError {
  return new SquashfsError(code, `${JSON.stringify(path)}: ${message}`, { path });
}

function checkMeta(node: FsNode, path: string): void {
  const m = node.meta;
  if (m === null || typeof m !== 'object') throw bad(path, 'missing metadata');
  if (!Number.isInteger(m.mode) || m.mode < 0 || m.mode > 0o7777) throw bad(path, `mode ${m.mode} is not in 0..0o7777`);
  checkU32(m.uid, 'uid', path);
  checkU32(m.gid, 'gid', path);
  checkU32(m.mtime, 'mtime', path);
}

function checkU32(v: number, field: string, path: string): void {
  if (!Number.isInteger(v) || v < 0 || v > U32_MAX) throw bad(path, `${field} ${v} is not an integer in 0..${U32_MAX}`);
}

function checkNode(node: FsNode, path: string): void {
  checkMeta(node, path);
  switch (node.kind) {
    case 'file':
      if (node.content === null || typeof node.content !== 'object' || typeof node.content.open !== 'function') throw bad(path, 'file has no content');
      if (node.content.size !== undefined && (!Number.isSafeInteger(node.content.size) || node.content.size < 0)) {
        throw bad(path, `declared size ${node.content.size} is not a non-negative integer`);
      }
      break;
    case 'symlink': {
      if (typeof node.target !== 'string' || node.target.length === 0) throw bad(path, 'symlink target is empty');
      if (node.target.includes('\0')) throw bad(path, 'symlink target contains NUL');
      const n = encoder.encode(node.target).length;
      if (n > MAX_SYMLINK_BYTES) throw bad(path, `symlink target is ${n} bytes; the kernel accepts at most ${MAX_SYMLINK_BYTES}`, 'SYMLINK_TOO_LONG');
      break;
    }
    case 'blockdev':
    case 'chardev':
      if (!Number.isInteger(node.major) || node.major < 0 || node.major > 0xfff) throw bad(path, `device major ${node.major} is not in 0..4095`);
      if (!Number.isInteger(node.minor) || node.minor < 0 || node.minor > 0xfffff) throw bad(path, `device minor ${node.minor} is not in 0..1048575`);
      break;
    case 'fifo':
    case 'socket':
    case 'dir':
      break;
    default:
      throw bad(path, `unknown node kind ${String((node as { kind: unknown }).kind)}`);
  }
}

/** The tree path of entry `name` of the directory at `dirPath`. */
function childPath(dirPath: string, name: string): string {
  return dirPath === '/' ? `/${name}` : `${dirPath}/${name}`;
}

/**
 * The entries of `dir` (at `path`) sorted by name bytes, each name and node checked
 * (INVALID_NAME, INVALID_ARGUMENT naming the entry's path).
 */
function sortedChildren(dir: DirNode, path: string): Child[] {
  if (!(dir.entries instanceof Map)) throw bad(path, 'directory entries are not a Map');
  const list: Child[] = [];
  dir.entries.forEach((node, name) => {
    const at = childPath(path, name);
    const why = typeof name === 'string' ? nameProblem(name) : 'not a string';
    if (why !== undefined) throw new SquashfsError('INVALID_NAME', `invalid name ${JSON.stringify(name)} at ${JSON.stringify(at)}: ${why}`, { path: at });
    if (node === null || typeof node !== 'object') throw bad(at, 'entry is not a node');
    list.push({ name: nameBytes(name), key: name, node, path: at, info: null });
  });
  return list.sort((a, b) => compareBytes(a.name, b.name));
}

/**
 * Walks the tree once: validates every node, numbers the inodes as mksquashfs does (pre-order in
 * byte order, a directory's subtree right after it, the root last), counts hard links, and builds
 * the id table and the deduplicated xattr sets.
 */
export function prepareTree(root: DirNode, o: PrepareOptions): PreparedTree {
  const p = new TreePreparer(root, o);
  const scan = (dir: DirNode, info: NodeInfo): void => {
    for (const c of p.list(dir, info)) {
      const child = p.child(c, info);
      if (child !== null && c.node.kind === 'dir') scan(c.node, child);
    }
  };
  scan(root, p.rootInfo);
  return p.finish();
}

/**
 * {@link prepareTree} one step at a time, for a walk that visits the tree in the same order while
 * it reads it (the writer's data walk over a lazily read tree): `list` each directory when it is
 * entered, then `child` each of its children in that order, descending into a directory right
 * after its `child`; `finish` once the walk is over. The same checks, numbers and tables.
 */
export class TreePreparer {
  readonly rootInfo: NodeInfo;
  /** Files in data order (first reference, pre-order), each once, as they are met. */
  readonly files: DataFile[] = [];
  private readonly root: DirNode;
  private readonly o: PrepareOptions;
  private readonly nodes = new Map<FsNode, NodeInfo>();
  private readonly ids: number[] = [];
  private readonly idIndex = new Map<number, number>();
  private readonly xattrSets: XattrSet[] = [];
  private readonly xattrKeys = new Map<string, number>();
  private next = 1;
  private newest = 0;

  constructor(root: DirNode, o: PrepareOptions) {
    if (root === null || typeof root !== 'object' || root.kind !== 'dir') throw bad('/', 'the root is not a directory');
    this.root = root;
    this.o = o;
    // The root is recorded first (it guards against appearing inside itself), numbered and checked
    // last (its ids and xattr set come after everyone else's, as mksquashfs orders them).
    this.rootInfo = { ino: -1, refs: 1, path: '/', xattr: SQUASHFS_INVALID_XATTR, children: null, subdirs: 0, placement: null };
    this.nodes.set(root, this.rootInfo);
  }

  /** The children of a directory being entered, sorted and checked (kept in its record). */
  list(dir: DirNode, info: NodeInfo): Child[] {
    const list = sortedChildren(dir, info.path);
    info.children = list;
    return list;
  }

  /**
   * Meets one child of the directory `parent`: its record when met for the first time (number,
   * checks, ids, xattr set; a file joins {@link files}), null for another reference to a node
   * already met (its link count grows).
   */
  child(c: Child, parent: NodeInfo): NodeInfo | null {
    const node = c.node;
    const seen = this.nodes.get(node);
    if (node.kind === 'dir') {
      if (seen !== undefined) throw bad(c.path, `the same directory object appears twice in the tree (also at ${JSON.stringify(seen.path)}); directories cannot be hard links`);
      parent.subdirs++;
      return (c.info = this.visit(node, c.path));
    }
    if (seen !== undefined) {
      seen.refs++;
      c.info = seen;
      return null;
    }
    const info = (c.info = this.visit(node, c.path));
    if (node.kind === 'file') this.files.push({ node, path: c.path, info });
    return info;
  }

  /** Numbers and checks the root; the prepared tree. */
  finish(): PreparedTree {
    this.rootInfo.ino = this.next++;
    this.rootInfo.xattr = this.check(this.root, '/');
    const inodeCount = this.next - 1;
    if (inodeCount > U32_MAX - 1) throw new SquashfsError('LIMIT_EXCEEDED', `${inodeCount} inodes exceed the format limit`);
    return { root: this.root, nodes: this.nodes, files: this.files, ids: this.ids, idIndex: this.idIndex, xattrSets: this.xattrSets, inodeCount, newestMtime: this.newest };
  }

  /**
   * The first entry (by path) of a directory whose entries are no longer those it was listed with,
   * or undefined: what changed in the tree behind a walk that listed each directory once.
   */
  changedEntry(): string | undefined {
    for (const [node, info] of this.nodes) {
      const list = info.children;
      if (list === null || node.kind !== 'dir') continue;
      const entries = node.entries;
      for (const c of list) if (entries.get(c.key) !== c.node) return c.path;
      if (entries.size !== list.length) {
        const listed = new Set(list.map((c) => c.key));
        for (const name of entries.keys()) if (!listed.has(name)) return childPath(info.path, name);
      }
    }
    return undefined;
  }

  /** Records a node met for the first time, numbered next. */
  private visit(node: FsNode, path: string): NodeInfo {
    const info: NodeInfo = { ino: this.next++, refs: 1, path, xattr: this.check(node, path), children: null, subdirs: 0, placement: null };
    this.nodes.set(node, info);
    return info;
  }

  /** Checks a node met for the first time; numbers its ids and xattr set (in visit order); returns the set. */
  private check(node: FsNode, path: string): number {
    checkNode(node, path);
    const o = this.o;
    const mtime = o.clampMtime !== undefined && node.meta.mtime > o.clampMtime ? o.clampMtime : node.meta.mtime;
    if (mtime > this.newest) this.newest = mtime;
    if (o.allRoot) this.useId(0, path);
    else {
      this.useId(node.meta.uid, path);
      this.useId(node.meta.gid, path);
    }
    return o.xattrs ? this.xattrSetOf(node, path) : SQUASHFS_INVALID_XATTR;
  }

  private useId(id: number, path: string): void {
    if (this.idIndex.has(id)) return;
    if (this.ids.length >= SQUASHFS_MAX_IDS) {
      throw new SquashfsError('TOO_MANY_IDS', `more than ${SQUASHFS_MAX_IDS} distinct uid/gid values (at ${JSON.stringify(path)}); the superblock id count is 16-bit`, { path });
    }
    this.idIndex.set(id, this.ids.length);
    this.ids.push(id);
  }

  private xattrSetOf(node: FsNode, path: string): number {
    const xs = node.meta.xattrs;
    if (xs === undefined || xs.size === 0) return SQUASHFS_INVALID_XATTR;
    const pairs: { type: number; suffix: Uint8Array; value: Uint8Array; full: number }[] = [];
    for (const [name, value] of xs) {
      const split = splitXattrName(name);
      if (split === undefined) {
        this.o.onWarning?.({ code: 'XATTR_DROPPED', message: `xattr ${JSON.stringify(name)} of ${JSON.stringify(path)} dropped: SquashFS stores only user., trusted. and security. names`, path });
        continue;
      }
      if (!(value instanceof Uint8Array)) throw bad(path, `xattr ${JSON.stringify(name)} value is not a Uint8Array`);
      if (split.suffix.length > 0xffff) throw bad(path, `xattr name ${JSON.stringify(name)} is too long`, 'LIMIT_EXCEEDED');
      pairs.push({ ...split, value, full: encoder.encode(name).length });
    }
    if (pairs.length === 0) return SQUASHFS_INVALID_XATTR;
    pairs.sort((a, b) => a.type - b.type || compareBytes(a.suffix, b.suffix));
    const encoded = pairs.map((p) => encodeXattrPair(p.type, p.suffix, p.value));
    let key = '';
    for (const e of encoded) {
      key += `${e.length}:`;
      for (let i = 0; i < e.length; i += 4096) key += String.fromCharCode(...e.subarray(i, i + 4096));
    }
    const existing = this.xattrKeys.get(key);
    if (existing !== undefined) return existing;
    const id = this.xattrSets.length;
    const size = pairs.reduce((n, p) => n + p.full + 1 + p.value.length, 0);
    if (size > U32_MAX) throw bad(path, 'xattrs too large', 'LIMIT_EXCEEDED');
    this.xattrSets.push({ pairs: encoded, size });
    this.xattrKeys.set(key, id);
    return id;
  }
}
