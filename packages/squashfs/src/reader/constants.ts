/** SquashFS 4.0 constants, as the reader needs them (independent of the writer's format/). */
export const MAGIC = 0x73717368;
export const SUPERBLOCK_SIZE = 96;
export const METADATA_SIZE = 8192;
/** A metadata block on disk: u16 header + up to 8192 bytes. */
export const METADATA_MAX_ON_DISK = METADATA_SIZE + 2;
export const META_UNCOMPRESSED_BIT = 0x8000;
export const DATA_UNCOMPRESSED_BIT = 0x1000000;
export const NO_FRAGMENT = 0xffffffff;
export const NO_XATTR = 0xffffffff;
export const MIN_BLOCK_SIZE = 4096;
export const MAX_BLOCK_SIZE = 1 << 20;
export const MAX_NAME = 256;
export const MAX_DIR_HEADER_COUNT = 256;

export const FLAG = {
  NOI: 0x0001,
  NOD: 0x0002,
  CHECK: 0x0004,
  NOF: 0x0008,
  NO_FRAG: 0x0010,
  ALWAYS_FRAG: 0x0020,
  DUPLICATES: 0x0040,
  EXPORT: 0x0080,
  NOX: 0x0100,
  NO_XATTR: 0x0200,
  COMP_OPT: 0x0400,
  NOID: 0x0800,
} as const;

export const INODE_TYPE = {
  DIR: 1,
  REG: 2,
  SYMLINK: 3,
  BLKDEV: 4,
  CHRDEV: 5,
  FIFO: 6,
  SOCKET: 7,
  LDIR: 8,
  LREG: 9,
  LSYMLINK: 10,
  LBLKDEV: 11,
  LCHRDEV: 12,
  LFIFO: 13,
  LSOCKET: 14,
} as const;

export const COMPRESSOR_NAMES: Record<number, string> = { 1: 'gzip', 2: 'lzma', 3: 'lzo', 4: 'xz', 5: 'lz4', 6: 'zstd' };

/** Size of an index array of u64 pointers for `count` entries of `entrySize` bytes. */
export function indexBytes(count: number, entrySize: number): number {
  return Math.ceil((count * entrySize) / METADATA_SIZE) * 8;
}
