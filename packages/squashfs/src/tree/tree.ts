import { SquashfsError } from '../errors.js';
import { contentFromBytes, contentFromIterable, contentFromReadableStream, isFileContent } from './content.js';
import { loadDirSync } from './lazy.js';
import { MAX_SYMLINK_BYTES, compareNames, splitPath, validateName } from './names.js';
import type { DeviceNode, DirNode, FileContent, FileNode, FsNode, IpcNode, NodeMeta, SymlinkNode, Xattrs } from './node.js';

/** Metadata as callers give it: every field optional, xattrs as a map or a plain object. */
export interface MetaInput {
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  xattrs?: Xattrs | Record<string, Uint8Array | string>;
}

export type FileInput = Uint8Array | string | FileContent | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

export interface FileOptions extends MetaInput {
  /** Declared size, checked by the writer; required knowledge for nothing, but catches short streams. */
  size?: number;
}

export interface TreeDefaults {
  /** Mode for directories created implicitly or without a mode (default 0o755). */
  dirMode: number;
  /** Mode for files without a mode (default 0o644). */
  fileMode: number;
  uid: number;
  gid: number;
  /** Default mtime (default 0, so images are reproducible). */
  mtime: number;
}

const DEFAULTS: TreeDefaults = { dirMode: 0o755, fileMode: 0o644, uid: 0, gid: 0, mtime: 0 };
const U32_MAX = 0xffff_ffff;
const encoder = new TextEncoder();

function checkU32(value: number, what: string, path: string): number {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new SquashfsError('INVALID_ARGUMENT', `${what} ${value} of ${JSON.stringify(path)} is not an integer in 0..${U32_MAX}`, { path });
  }
  return value;
}

/** The xattrs of every node that has none: one shared map, which refuses changes. */
class NoXattrs extends Map<string, Uint8Array> {
  override set(): this {
    throw new TypeError('this node has no xattrs and shares an empty map: assign meta.xattrs a new Map instead');
  }
}
const NO_XATTRS: Xattrs = new NoXattrs();

export function normalizeXattrs(input: MetaInput['xattrs']): Xattrs {
  if (input === undefined) return NO_XATTRS;
  const entries = input instanceof Map ? [...input.entries()] : Object.entries(input);
  if (entries.length === 0) return NO_XATTRS;
  return new Map(entries.map(([k, v]) => [k, typeof v === 'string' ? encoder.encode(v) : v] as const));
}

/** Builds full metadata from partial input, validating every number. */
export function makeMeta(input: MetaInput | undefined, defaultMode: number, defaults: TreeDefaults, path: string): NodeMeta {
  const mode = input?.mode ?? defaultMode;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new SquashfsError('INVALID_ARGUMENT', `mode ${mode} of ${JSON.stringify(path)} is not in 0..0o7777`, { path });
  }
  return {
    mode,
    uid: checkU32(input?.uid ?? defaults.uid, 'uid', path),
    gid: checkU32(input?.gid ?? defaults.gid, 'gid', path),
    mtime: checkU32(input?.mtime ?? defaults.mtime, 'mtime', path),
    xattrs: normalizeXattrs(input?.xattrs),
  };
}

/**
 * A virtual filesystem tree built in code. Paths are relative to the image root, "/"-separated;
 * missing parent directories are created with the default directory metadata.
 *
 * ```ts
 * const tree = new Tree();
 * tree.file('usr/bin/hello', bytes, { mode: 0o755 });
 * tree.symlink('usr/bin/hi', 'hello');
 * ```
 */
export class Tree {
  readonly root: DirNode;
  readonly defaults: TreeDefaults;

  constructor(options: { defaults?: Partial<TreeDefaults>; root?: MetaInput } = {}) {
    this.defaults = { ...DEFAULTS, ...options.defaults };
    this.root = { kind: 'dir', meta: makeMeta(options.root, this.defaults.dirMode, this.defaults, '/'), entries: new Map() };
  }

  /** Creates a directory (and its parents). On an existing directory, updates the given metadata fields. */
  dir(path: string, meta?: MetaInput): DirNode {
    const parts = splitPath(path);
    let dir = this.root;
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i]!;
      loadDirSync(dir, parts.slice(0, i).join('/'));
      const existing = dir.entries.get(name);
      if (existing === undefined) {
        const last = i === parts.length - 1;
        const node: DirNode = {
          kind: 'dir',
          meta: makeMeta(last ? meta : undefined, this.defaults.dirMode, this.defaults, path),
          entries: new Map(),
        };
        dir.entries.set(name, node);
        dir = node;
      } else if (existing.kind === 'dir') {
        dir = existing;
      } else {
        throw new SquashfsError('NOT_A_DIRECTORY', `${JSON.stringify(parts.slice(0, i + 1).join('/'))} is a ${existing.kind}, not a directory`, { path });
      }
    }
    if (meta !== undefined && parts.length > 0) this.updateMeta(dir, meta, path);
    if (meta !== undefined && parts.length === 0) this.updateMeta(this.root, meta, path);
    return dir;
  }

  /** Adds a regular file from bytes, a string (UTF-8), a FileContent, an async iterable or a ReadableStream. */
  file(path: string, input: FileInput, options: FileOptions = {}): FileNode {
    let content: FileContent;
    if (typeof input === 'string' || input instanceof Uint8Array) content = contentFromBytes(input, path);
    else if (isFileContent(input)) content = input;
    else if (typeof (input as ReadableStream).getReader === 'function') content = contentFromReadableStream(input as ReadableStream<Uint8Array>, options.size, path);
    else content = contentFromIterable(input as AsyncIterable<Uint8Array>, options.size, path);
    if (options.size !== undefined && content.size === undefined) content = { ...content, size: options.size, open: content.open.bind(content) };
    if (options.size !== undefined && content.size !== undefined && options.size !== content.size) {
      throw new SquashfsError('SIZE_MISMATCH', `${JSON.stringify(path)}: declared size ${options.size} but the content has ${content.size} bytes`, { path });
    }
    const node: FileNode = { kind: 'file', meta: makeMeta(options, this.defaults.fileMode, this.defaults, path), content };
    this.insert(path, node);
    return node;
  }

  symlink(path: string, target: string, meta?: MetaInput): SymlinkNode {
    const bytes = encoder.encode(target).length;
    if (target.length === 0) throw new SquashfsError('INVALID_ARGUMENT', `symlink ${JSON.stringify(path)} has an empty target`, { path });
    if (target.includes('\0')) throw new SquashfsError('INVALID_ARGUMENT', `symlink ${JSON.stringify(path)} target contains NUL`, { path });
    if (bytes > MAX_SYMLINK_BYTES) {
      throw new SquashfsError('SYMLINK_TOO_LONG', `symlink ${JSON.stringify(path)} target is ${bytes} bytes; the kernel accepts at most ${MAX_SYMLINK_BYTES}`, { path });
    }
    const node: SymlinkNode = { kind: 'symlink', meta: makeMeta(meta, 0o777, this.defaults, path), target };
    this.insert(path, node);
    return node;
  }

  device(path: string, type: 'block' | 'char', major: number, minor: number, meta?: MetaInput): DeviceNode {
    if (!Number.isInteger(major) || major < 0 || major > 0xfff) throw new SquashfsError('INVALID_ARGUMENT', `device ${JSON.stringify(path)}: major ${major} not in 0..4095`, { path });
    if (!Number.isInteger(minor) || minor < 0 || minor > 0xfffff) throw new SquashfsError('INVALID_ARGUMENT', `device ${JSON.stringify(path)}: minor ${minor} not in 0..1048575`, { path });
    const node: DeviceNode = { kind: type === 'block' ? 'blockdev' : 'chardev', meta: makeMeta(meta, 0o644, this.defaults, path), major, minor };
    this.insert(path, node);
    return node;
  }

  fifo(path: string, meta?: MetaInput): IpcNode {
    const node: IpcNode = { kind: 'fifo', meta: makeMeta(meta, 0o644, this.defaults, path) };
    this.insert(path, node);
    return node;
  }

  socket(path: string, meta?: MetaInput): IpcNode {
    const node: IpcNode = { kind: 'socket', meta: makeMeta(meta, 0o755, this.defaults, path) };
    this.insert(path, node);
    return node;
  }

  /** Adds a hard link at `path` to the existing non-directory entry at `existing`. */
  link(path: string, existing: string): FsNode {
    const node = this.get(existing);
    if (node === undefined) throw new SquashfsError('NOT_FOUND', `hard link ${JSON.stringify(path)}: ${JSON.stringify(existing)} does not exist`, { path });
    if (node.kind === 'dir') throw new SquashfsError('INVALID_ARGUMENT', `hard link ${JSON.stringify(path)}: ${JSON.stringify(existing)} is a directory`, { path });
    this.insert(path, node);
    return node;
  }

  /** Adds an existing node (any kind) at `path`; used by the directory and tar importers. */
  insert(path: string, node: FsNode): void {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw new SquashfsError('INVALID_NAME', `cannot replace the root with a ${node.kind}`, { path });
    const parent = this.dir(parts.join('/'));
    if (parent.entries.has(name)) {
      throw new SquashfsError('DUPLICATE_NAME', `${JSON.stringify(path)} already exists`, { path });
    }
    validateName(name, path);
    parent.entries.set(name, node);
  }

  get(path: string): FsNode | undefined {
    let node: FsNode = this.root;
    for (const part of splitPath(path)) {
      if (node.kind !== 'dir') return undefined;
      loadDirSync(node, path);
      const next: FsNode | undefined = node.entries.get(part);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  remove(path: string): boolean {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) return false;
    const parent = this.get(parts.join('/'));
    return parent?.kind === 'dir' ? parent.entries.delete(name) : false;
  }

  /** Every entry, depth first, children in SquashFS (byte) order; the root is yielded as "". */
  *walk(): Generator<[path: string, node: FsNode]> {
    yield* walkTree(this.root);
  }

  private updateMeta(node: FsNode, meta: MetaInput, path: string): void {
    const merged = makeMeta({ ...node.meta, ...meta, xattrs: meta.xattrs ?? node.meta.xattrs }, node.meta.mode, this.defaults, path);
    node.meta = merged;
  }
}

/** Depth-first walk of a directory node, children in byte order, root yielded as "". */
export function* walkTree(root: DirNode, prefix = ''): Generator<[path: string, node: FsNode]> {
  if (prefix === '') yield ['', root];
  loadDirSync(root, prefix === '' ? '/' : prefix);
  const names = [...root.entries.keys()].sort(compareNames);
  for (const name of names) {
    const node = root.entries.get(name)!;
    const path = prefix === '' ? name : `${prefix}/${name}`;
    yield [path, node];
    if (node.kind === 'dir') yield* walkTree(node, path);
  }
}
