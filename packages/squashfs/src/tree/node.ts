/**
 * The in-memory filesystem tree the encoder consumes. Every input (the builder API, a directory
 * on disk, a tar stream) produces this model; the writer never looks at where it came from.
 *
 * Hard links: the same non-directory node object referenced from several directory entries is
 * ONE inode with nlink = number of references. Directories can never be shared.
 */

/** Extended attributes: full names (`user.foo`, `security.selinux`, `trusted.x`) to raw values. */
export type Xattrs = ReadonlyMap<string, Uint8Array>;

export interface NodeMeta {
  /** Permission bits including setuid/setgid/sticky: 0 .. 0o7777. The file type is the node kind. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, 0 .. 2^32-1 (SquashFS stores u32 seconds). */
  mtime: number;
  xattrs: Xattrs;
}

/**
 * The content of a regular file. `open()` yields the bytes in order; chunk sizes are arbitrary.
 * The writer calls `open()` once per image it writes (sources that can only be read once say so
 * by throwing on a second call). When `size` is given, the writer refuses a source that yields
 * more or fewer bytes (SIZE_MISMATCH) and names the path.
 */
export interface FileContent {
  readonly size?: number;
  open(): AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Present when the whole content is already in memory. */
  readonly bytes?: Uint8Array;
  /** Human-readable origin for error messages (a host path, "tar:member", ...). */
  readonly origin?: string;
}

export interface DirNode {
  readonly kind: 'dir';
  meta: NodeMeta;
  /** Children by name. Order here is irrelevant: the writer sorts by raw UTF-8 bytes. */
  readonly entries: Map<string, FsNode>;
}

export interface FileNode {
  readonly kind: 'file';
  meta: NodeMeta;
  content: FileContent;
}

export interface SymlinkNode {
  readonly kind: 'symlink';
  meta: NodeMeta;
  target: string;
}

export interface DeviceNode {
  readonly kind: 'blockdev' | 'chardev';
  meta: NodeMeta;
  major: number;
  minor: number;
}

export interface IpcNode {
  readonly kind: 'fifo' | 'socket';
  meta: NodeMeta;
}

export type FsNode = DirNode | FileNode | SymlinkNode | DeviceNode | IpcNode;
export type FsNodeKind = FsNode['kind'];
