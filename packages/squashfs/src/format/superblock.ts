import { SQUASHFS_MAGIC, SQUASHFS_MAJOR, SQUASHFS_MINOR, SQUASHFS_SUPERBLOCK_SIZE } from './constants.js';
import { LeReader, LeWriter } from './le.js';

/** The 96-byte superblock (struct squashfs_super_block). Table starts are absolute byte offsets. */
export interface Superblock {
  inodes: number;
  mkfsTime: number;
  blockSize: number;
  fragments: number;
  compression: number;
  blockLog: number;
  flags: number;
  noIds: number;
  rootInode: number;
  bytesUsed: number;
  idTableStart: number;
  /** null = none (0xFFFF...FF). */
  xattrIdTableStart: number | null;
  inodeTableStart: number;
  directoryTableStart: number;
  fragmentTableStart: number;
  /** null = no export table (0xFFFF...FF). */
  lookupTableStart: number | null;
}

const NONE = 0xffff_ffff_ffff_ffffn;

export function encodeSuperblock(sb: Superblock): Uint8Array {
  const w = new LeWriter(SQUASHFS_SUPERBLOCK_SIZE);
  w.u32(SQUASHFS_MAGIC, 's_magic')
    .u32(sb.inodes, 'inodes')
    .u32(sb.mkfsTime, 'mkfs_time')
    .u32(sb.blockSize, 'block_size')
    .u32(sb.fragments, 'fragments')
    .u16(sb.compression, 'compression')
    .u16(sb.blockLog, 'block_log')
    .u16(sb.flags, 'flags')
    .u16(sb.noIds, 'no_ids')
    .u16(SQUASHFS_MAJOR, 's_major')
    .u16(SQUASHFS_MINOR, 's_minor')
    .u64(sb.rootInode, 'root_inode')
    .u64(sb.bytesUsed, 'bytes_used')
    .u64(sb.idTableStart, 'id_table_start')
    .u64(sb.xattrIdTableStart ?? NONE, 'xattr_id_table_start')
    .u64(sb.inodeTableStart, 'inode_table_start')
    .u64(sb.directoryTableStart, 'directory_table_start')
    .u64(sb.fragmentTableStart, 'fragment_table_start')
    .u64(sb.lookupTableStart ?? NONE, 'lookup_table_start');
  return w.finish();
}

/** Decodes a superblock (for golden tests; the hardened reader lives in src/reader). */
export function decodeSuperblock(bytes: Uint8Array): Superblock & { magic: number; major: number; minor: number } {
  const r = new LeReader(bytes);
  const magic = r.u32();
  const inodes = r.u32();
  const mkfsTime = r.u32();
  const blockSize = r.u32();
  const fragments = r.u32();
  const compression = r.u16();
  const blockLog = r.u16();
  const flags = r.u16();
  const noIds = r.u16();
  const major = r.u16();
  const minor = r.u16();
  const rootInode = r.u64n();
  const bytesUsed = r.u64n();
  const idTableStart = r.u64n();
  const xattr = r.u64();
  const inodeTableStart = r.u64n();
  const directoryTableStart = r.u64n();
  const fragmentTableStart = r.u64n();
  const lookup = r.u64();
  return {
    magic,
    major,
    minor,
    inodes,
    mkfsTime,
    blockSize,
    fragments,
    compression,
    blockLog,
    flags,
    noIds,
    rootInode,
    bytesUsed,
    idTableStart,
    xattrIdTableStart: xattr === NONE ? null : Number(xattr),
    inodeTableStart,
    directoryTableStart,
    fragmentTableStart,
    lookupTableStart: lookup === NONE ? null : Number(lookup),
  };
}
