import { corrupt } from './corrupt.js';
import { isAllOnes64, u16, u32, u64 } from './bytes.js';
import { COMPRESSOR_NAMES, FLAG, MAGIC, MAX_BLOCK_SIZE, MIN_BLOCK_SIZE, SUPERBLOCK_SIZE } from './constants.js';

export interface SuperblockFlags {
  uncompressedInodes: boolean;
  uncompressedData: boolean;
  check: boolean;
  uncompressedFragments: boolean;
  noFragments: boolean;
  alwaysFragments: boolean;
  duplicates: boolean;
  exportable: boolean;
  uncompressedXattrs: boolean;
  noXattrs: boolean;
  compressorOptions: boolean;
  uncompressedIds: boolean;
}

/** The decoded 96-byte superblock. Absent tables (all-ones pointers) are null. */
export interface Superblock {
  magic: number;
  inodes: number;
  mkfsTime: number;
  blockSize: number;
  fragments: number;
  compression: number;
  compressionName: string;
  blockLog: number;
  flags: number;
  decodedFlags: SuperblockFlags;
  noIds: number;
  versionMajor: number;
  versionMinor: number;
  rootInode: number;
  bytesUsed: number;
  idTableStart: number;
  xattrIdTableStart: number | null;
  inodeTableStart: number;
  directoryTableStart: number;
  fragmentTableStart: number | null;
  lookupTableStart: number | null;
  /** Decoded compressor options block, when the COMP_OPT flag is set (filled in by open). */
  compressorOptions?: Record<string, number>;
}

export function decodeFlags(flags: number): SuperblockFlags {
  return {
    uncompressedInodes: (flags & FLAG.NOI) !== 0,
    uncompressedData: (flags & FLAG.NOD) !== 0,
    check: (flags & FLAG.CHECK) !== 0,
    uncompressedFragments: (flags & FLAG.NOF) !== 0,
    noFragments: (flags & FLAG.NO_FRAG) !== 0,
    alwaysFragments: (flags & FLAG.ALWAYS_FRAG) !== 0,
    duplicates: (flags & FLAG.DUPLICATES) !== 0,
    exportable: (flags & FLAG.EXPORT) !== 0,
    uncompressedXattrs: (flags & FLAG.NOX) !== 0,
    noXattrs: (flags & FLAG.NO_XATTR) !== 0,
    compressorOptions: (flags & FLAG.COMP_OPT) !== 0,
    uncompressedIds: (flags & FLAG.NOID) !== 0,
  };
}

/** Decodes and sanity-checks the superblock against the image size (kernel super.c rules). */
export function decodeSuperblock(b: Uint8Array, imageSize: number): Superblock {
  const bad = (offset: number, message: string) => corrupt('superblock', offset, message);
  if (b.length < SUPERBLOCK_SIZE) throw bad(0, `image is ${b.length} bytes, smaller than a superblock`);
  const magic = u32(b, 0);
  if (magic === 0x53515348) throw bad(0, 'streamed image placeholder magic (superblock at the end); run mksquashfs -fix');
  if (magic !== MAGIC) throw bad(0, `bad magic 0x${magic.toString(16)}`);
  const sb: Superblock = {
    magic,
    inodes: u32(b, 4),
    mkfsTime: u32(b, 8),
    blockSize: u32(b, 12),
    fragments: u32(b, 16),
    compression: u16(b, 20),
    compressionName: COMPRESSOR_NAMES[u16(b, 20)] ?? 'unknown',
    blockLog: u16(b, 22),
    flags: u16(b, 24),
    decodedFlags: decodeFlags(u16(b, 24)),
    noIds: u16(b, 26),
    versionMajor: u16(b, 28),
    versionMinor: u16(b, 30),
    rootInode: u64(b, 32),
    bytesUsed: u64(b, 40),
    idTableStart: u64(b, 48),
    xattrIdTableStart: isAllOnes64(b, 56) ? null : u64(b, 56),
    inodeTableStart: u64(b, 64),
    directoryTableStart: u64(b, 72),
    fragmentTableStart: isAllOnes64(b, 80) ? null : u64(b, 80),
    lookupTableStart: isAllOnes64(b, 88) ? null : u64(b, 88),
  };
  if (sb.versionMajor !== 4 || sb.versionMinor !== 0) throw bad(28, `unsupported version ${sb.versionMajor}.${sb.versionMinor}`);
  if (sb.blockSize < MIN_BLOCK_SIZE || sb.blockSize > MAX_BLOCK_SIZE || (sb.blockSize & (sb.blockSize - 1)) !== 0) {
    throw bad(12, `block size ${sb.blockSize} is not a power of two in 4 KiB..1 MiB`);
  }
  if (sb.blockLog >= 32 || 2 ** sb.blockLog !== sb.blockSize) throw bad(22, `block_log ${sb.blockLog} does not match block size ${sb.blockSize}`);
  if (sb.compression < 1 || sb.compression > 6) throw bad(20, `unknown compressor id ${sb.compression}`);
  if (sb.inodes === 0) throw bad(4, 'inode count is 0');
  if (sb.noIds === 0) throw bad(26, 'id count is 0 (there is always at least one id)');
  if (!(sb.bytesUsed >= SUPERBLOCK_SIZE)) throw bad(40, `bytes_used ${sb.bytesUsed} is smaller than the superblock`);
  if (sb.bytesUsed > imageSize) throw bad(40, `bytes_used ${sb.bytesUsed} is beyond the image size ${imageSize}`);
  const inBounds = (v: number) => v >= SUPERBLOCK_SIZE && v <= sb.bytesUsed;
  if (!inBounds(sb.inodeTableStart)) throw bad(64, `inode table start ${sb.inodeTableStart} outside the image`);
  if (!inBounds(sb.directoryTableStart)) throw bad(72, `directory table start ${sb.directoryTableStart} outside the image`);
  if (!inBounds(sb.idTableStart)) throw bad(48, `id table start ${sb.idTableStart} outside the image`);
  if (sb.inodeTableStart >= sb.directoryTableStart) throw bad(64, 'inode table does not precede the directory table');
  if (sb.xattrIdTableStart !== null && !inBounds(sb.xattrIdTableStart)) throw bad(56, `xattr id table start ${sb.xattrIdTableStart} outside the image`);
  if (sb.lookupTableStart !== null && !inBounds(sb.lookupTableStart)) throw bad(88, `export table start ${sb.lookupTableStart} outside the image`);
  if (sb.fragments > 0 && (sb.fragmentTableStart === null || !inBounds(sb.fragmentTableStart))) {
    throw bad(80, `fragment table start ${sb.fragmentTableStart ?? 'none'} outside the image`);
  }
  const rootBlock = Math.floor(sb.rootInode / 65536);
  const rootOffset = sb.rootInode % 65536;
  if (!Number.isFinite(sb.rootInode) || rootOffset >= 8192 || sb.inodeTableStart + rootBlock >= sb.directoryTableStart) {
    throw bad(32, `root inode reference ${sb.rootInode} outside the inode table`);
  }
  return sb;
}
