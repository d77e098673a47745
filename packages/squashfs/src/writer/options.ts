import type { Codec, CodecProvider, CompressionName } from '../compress/codec.js';
import type { SquashfsWarning } from '../errors.js';

export interface WriteOptions {
  /** 'gzip' (default), 'zstd', 'none' (every block stored raw), or a ready codec. */
  compression?: CompressionName | 'none' | Codec;
  /** Compression level (gzip 1-9, default 7; zstd 1-22, default 14: DEFAULT_LEVEL). */
  level?: number;
  /** Power of two, 4 KiB .. 1 MiB; default 128 KiB. */
  blockSize?: number;
  /** Where codecs come from; the Node entry point passes its parallel codecs. */
  codecs?: CodecProvider;
  /** Make every inode owned by uid 0 / gid 0 (mksquashfs -all-root). */
  allRoot?: boolean;
  /** Pack small files into fragment blocks (default true; mksquashfs -no-fragments turns off). */
  fragments?: boolean;
  /** Also pack the tail end of larger files into fragments (default true). */
  tailEnds?: boolean;
  /** Store identical files once (full-content SHA-256 + size; default true). */
  dedup?: boolean;
  /** Store xattrs (default true; -no-xattrs). */
  xattrs?: boolean;
  /** Write the NFS export table (default true; -no-exports). */
  exports?: boolean;
  /** Superblock mkfs time in seconds. Default: the newest mtime in the tree (reproducible). */
  mkfsTime?: number;
  /** Clamp inode mtimes newer than this (SOURCE_DATE_EPOCH semantics). */
  clampMtime?: number;
  /** Pad the image to a multiple of this many bytes (default 4096; the kernel needs 1K/4K). */
  padding?: number;
  /**
   * Blocks compressed at once (default: 2 x available parallelism); the write queue holds up to
   * 4 x this many blocks (read, compressing, or waiting for their turn to be written).
   */
  concurrency?: number;
  /**
   * Hash used for duplicate detection: must be SHA-256, as its digests are compared with those
   * sources declare (FileContent.sha256). Default: the runtime's native SHA-256
   * where reachable by feature detection (`process.getBuiltinModule('node:crypto')`: Node >= 20.16,
   * Deno, Bun), else a pure-JS SHA-256. Same digests either way, so the same image.
   */
  hasher?: () => { update(bytes: Uint8Array): void; digest(): Uint8Array };
  onWarning?: (warning: SquashfsWarning) => void;
  onProgress?: (progress: WriteProgress) => void;
  signal?: AbortSignal;
}

export interface WriteProgress {
  /** File bytes consumed so far. */
  bytesIn: number;
  /** Image bytes written so far. */
  bytesOut: number;
  filesDone: number;
  /** Files to write; undefined while a lazily read tree (`DirNode.load`) is still being read. */
  filesTotal: number | undefined;
}

export interface WriteResult {
  /** Image size after padding. */
  size: number;
  /** superblock bytes_used. */
  bytesUsed: number;
  inodes: number;
  fragments: number;
  ids: number;
  /** Files whose data was shared with an earlier identical file. */
  duplicates: number;
  /** Blocks stored as sparse (size 0). */
  sparseBlocks: number;
}
