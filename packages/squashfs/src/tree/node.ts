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
  /**
   * The SHA-256 (64 lower-case hex digits) of the whole content, for a source that knows it and
   * checks it: `open()` must fail (its iterator throws before it ends) and `readInto()` must throw
   * when the bytes are not those. With deduplication on, the writer then takes it as the file's
   * identity instead of hashing the content itself (a file read once, not hashed twice); it matches
   * the files of the same size that declare the same digest or that the writer hashed to it (the
   * same content, stored once). Anything else is refused (INVALID_ARGUMENT).
   */
  readonly sha256?: string;
  /**
   * Optional fast path for small files with a declared `size`, used instead of `open()`: reads the
   * content synchronously into `target` from offset 0, until `target` is full or the source ends,
   * and returns the number of bytes read. The writer passes `size + 1` bytes of room, so a source
   * that grew is noticed; it reuses `target` afterwards (an implementation must not keep it).
   */
  readInto?(target: Uint8Array): number;
}

export interface DirNode {
  readonly kind: 'dir';
  meta: NodeMeta;
  /** Children by name. Order here is irrelevant: the writer sorts by raw UTF-8 bytes. */
  readonly entries: Map<string, FsNode>;
  /**
   * Set on a directory whose entries are still to be read (`fromDirectory(dir, { lazy: true })`):
   * fills in `entries` (and may set `load` on new subdirectories), then deletes itself. The writer
   * calls it when it reaches the directory, so that reading the tree overlaps compression;
   * {@link loadTree} loads everything at once for code that walks or edits the tree.
   */
  load?: () => void | Promise<void>;
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
