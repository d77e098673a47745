import * as C from './constants.js';
import { LeReader, LeWriter } from './le.js';

/** The 16-byte header every inode starts with. uid/gid are indexes into the id table. */
export interface InodeHeader {
  /** Permission bits (0..0o7777). */
  mode: number;
  uidIndex: number;
  gidIndex: number;
  mtime: number;
  inodeNumber: number;
}

/** One LDIR index entry: where a directory header starts and the first name under it. */
export interface DirIndexEntry {
  /** Byte offset of the header from the start of this directory's listing. */
  index: number;
  /** Directory-table metadata block (relative) holding that header. */
  startBlock: number;
  name: Uint8Array;
}

export type InodeRecord =
  | { kind: 'dir'; header: InodeHeader; startBlock: number; nlink: number; fileSize: number; offset: number; parentInode: number }
  | {
      kind: 'ldir';
      header: InodeHeader;
      nlink: number;
      fileSize: number;
      startBlock: number;
      parentInode: number;
      offset: number;
      xattr: number;
      index: DirIndexEntry[];
    }
  | { kind: 'reg'; header: InodeHeader; startBlock: number; fragment: number; offset: number; fileSize: number; blocks: readonly number[] }
  | {
      kind: 'lreg';
      header: InodeHeader;
      startBlock: number;
      fileSize: number;
      sparse: number;
      nlink: number;
      fragment: number;
      offset: number;
      xattr: number;
      blocks: readonly number[];
    }
  | { kind: 'symlink' | 'lsymlink'; header: InodeHeader; nlink: number; target: Uint8Array; xattr: number }
  | { kind: 'blkdev' | 'chrdev' | 'lblkdev' | 'lchrdev'; header: InodeHeader; nlink: number; rdev: number; xattr: number }
  | { kind: 'fifo' | 'socket' | 'lfifo' | 'lsocket'; header: InodeHeader; nlink: number; xattr: number };

export const INODE_TYPE: Record<InodeRecord['kind'], number> = {
  dir: C.SQUASHFS_DIR_TYPE,
  reg: C.SQUASHFS_REG_TYPE,
  symlink: C.SQUASHFS_SYMLINK_TYPE,
  blkdev: C.SQUASHFS_BLKDEV_TYPE,
  chrdev: C.SQUASHFS_CHRDEV_TYPE,
  fifo: C.SQUASHFS_FIFO_TYPE,
  socket: C.SQUASHFS_SOCKET_TYPE,
  ldir: C.SQUASHFS_LDIR_TYPE,
  lreg: C.SQUASHFS_LREG_TYPE,
  lsymlink: C.SQUASHFS_LSYMLINK_TYPE,
  lblkdev: C.SQUASHFS_LBLKDEV_TYPE,
  lchrdev: C.SQUASHFS_LCHRDEV_TYPE,
  lfifo: C.SQUASHFS_LFIFO_TYPE,
  lsocket: C.SQUASHFS_LSOCKET_TYPE,
};

/** The basic type (1..7) a directory entry carries for an inode type (1..14). */
export function basicType(type: number): number {
  return type > 7 ? type - 7 : type;
}

/** Linux new_encode_dev(): the rdev word of device inodes. */
export function encodeRdev(major: number, minor: number): number {
  return ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0;
}

export function decodeRdev(rdev: number): { major: number; minor: number } {
  return { major: (rdev & 0xfff00) >>> 8, minor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) };
}

export function encodeInode(rec: InodeRecord): Uint8Array {
  return encodeInodeInto(rec, new LeWriter(64 + ('blocks' in rec ? rec.blocks.length * 4 : 0))).finish();
}

/** Appends the on-disk form of `rec` to `w` (the writer's loop reuses one LeWriter for every inode). */
export function encodeInodeInto(rec: InodeRecord, w: LeWriter): LeWriter {
  const h = rec.header;
  w.u16(INODE_TYPE[rec.kind], 'inode_type')
    .u16(h.mode, 'mode')
    .u16(h.uidIndex, 'uid_idx')
    .u16(h.gidIndex, 'gid_idx')
    .u32(h.mtime, 'mtime')
    .u32(h.inodeNumber, 'inode_number');
  switch (rec.kind) {
    case 'dir':
      w.u32(rec.startBlock, 'dir start_block')
        .u32(rec.nlink, 'nlink')
        .u16(rec.fileSize, 'dir file_size')
        .u16(rec.offset, 'dir offset')
        .u32(rec.parentInode, 'parent_inode');
      break;
    case 'ldir':
      w.u32(rec.nlink, 'nlink')
        .u32(rec.fileSize, 'ldir file_size')
        .u32(rec.startBlock, 'ldir start_block')
        .u32(rec.parentInode, 'parent_inode')
        .u16(rec.index.length, 'ldir i_count')
        .u16(rec.offset, 'ldir offset')
        .u32(rec.xattr, 'xattr');
      for (const e of rec.index) {
        w.u32(e.index, 'dir index').u32(e.startBlock, 'dir index start').u32(e.name.length - 1, 'dir index size').bytes(e.name);
      }
      break;
    case 'reg':
      w.u32(rec.startBlock, 'reg start_block').u32(rec.fragment, 'fragment').u32(rec.offset, 'fragment offset').u32(rec.fileSize, 'reg file_size');
      for (const b of rec.blocks) w.u32(b, 'block size');
      break;
    case 'lreg':
      w.u64(rec.startBlock, 'lreg start_block')
        .u64(rec.fileSize, 'lreg file_size')
        .u64(rec.sparse, 'sparse')
        .u32(rec.nlink, 'nlink')
        .u32(rec.fragment, 'fragment')
        .u32(rec.offset, 'fragment offset')
        .u32(rec.xattr, 'xattr');
      for (const b of rec.blocks) w.u32(b, 'block size');
      break;
    case 'symlink':
    case 'lsymlink':
      w.u32(rec.nlink, 'nlink').u32(rec.target.length, 'symlink_size').bytes(rec.target);
      if (rec.kind === 'lsymlink') w.u32(rec.xattr, 'xattr');
      break;
    case 'blkdev':
    case 'chrdev':
    case 'lblkdev':
    case 'lchrdev':
      w.u32(rec.nlink, 'nlink').u32(rec.rdev, 'rdev');
      if (rec.kind === 'lblkdev' || rec.kind === 'lchrdev') w.u32(rec.xattr, 'xattr');
      break;
    case 'fifo':
    case 'socket':
    case 'lfifo':
    case 'lsocket':
      w.u32(rec.nlink, 'nlink');
      if (rec.kind === 'lfifo' || rec.kind === 'lsocket') w.u32(rec.xattr, 'xattr');
      break;
  }
  return w;
}

const KIND_OF_TYPE = Object.fromEntries(Object.entries(INODE_TYPE).map(([k, v]) => [v, k])) as Record<number, InodeRecord['kind']>;

/**
 * Decodes one inode from an uncompressed inode-table byte stream (for golden tests).
 * Returns the record and the number of bytes it used.
 */
export function decodeInode(bytes: Uint8Array, offset: number, blockSize: number): { inode: InodeRecord; length: number } {
  const r = new LeReader(bytes, offset);
  const type = r.u16();
  const kind = KIND_OF_TYPE[type];
  if (kind === undefined) throw new RangeError(`unknown inode type ${type} at ${offset}`);
  const header: InodeHeader = { mode: r.u16(), uidIndex: r.u16(), gidIndex: r.u16(), mtime: r.u32(), inodeNumber: r.u32() };
  let inode: InodeRecord;
  const blockCount = (size: number, fragment: number) =>
    fragment === C.SQUASHFS_INVALID_FRAG ? Math.ceil(size / blockSize) : Math.floor(size / blockSize);
  switch (kind) {
    case 'dir': {
      const startBlock = r.u32();
      const nlink = r.u32();
      const fileSize = r.u16();
      const off = r.u16();
      inode = { kind, header, startBlock, nlink, fileSize, offset: off, parentInode: r.u32() };
      break;
    }
    case 'ldir': {
      const nlink = r.u32();
      const fileSize = r.u32();
      const startBlock = r.u32();
      const parentInode = r.u32();
      const count = r.u16();
      const off = r.u16();
      const xattr = r.u32();
      const index: DirIndexEntry[] = [];
      for (let i = 0; i < count; i++) {
        const idx = r.u32();
        const sb = r.u32();
        const size = r.u32() + 1;
        index.push({ index: idx, startBlock: sb, name: r.take(size) });
      }
      inode = { kind, header, nlink, fileSize, startBlock, parentInode, offset: off, xattr, index };
      break;
    }
    case 'reg': {
      const startBlock = r.u32();
      const fragment = r.u32();
      const off = r.u32();
      const fileSize = r.u32();
      const blocks: number[] = [];
      for (let i = blockCount(fileSize, fragment); i > 0; i--) blocks.push(r.u32());
      inode = { kind, header, startBlock, fragment, offset: off, fileSize, blocks };
      break;
    }
    case 'lreg': {
      const startBlock = r.u64n();
      const fileSize = r.u64n();
      const sparse = r.u64n();
      const nlink = r.u32();
      const fragment = r.u32();
      const off = r.u32();
      const xattr = r.u32();
      const blocks: number[] = [];
      for (let i = blockCount(fileSize, fragment); i > 0; i--) blocks.push(r.u32());
      inode = { kind, header, startBlock, fileSize, sparse, nlink, fragment, offset: off, xattr, blocks };
      break;
    }
    case 'symlink':
    case 'lsymlink': {
      const nlink = r.u32();
      const target = r.take(r.u32());
      inode = { kind, header, nlink, target, xattr: kind === 'lsymlink' ? r.u32() : C.SQUASHFS_INVALID_XATTR };
      break;
    }
    case 'blkdev':
    case 'chrdev':
    case 'lblkdev':
    case 'lchrdev': {
      const nlink = r.u32();
      const rdev = r.u32();
      inode = { kind, header, nlink, rdev, xattr: kind[0] === 'l' ? r.u32() : C.SQUASHFS_INVALID_XATTR };
      break;
    }
    default: {
      const nlink = r.u32();
      inode = { kind, header, nlink, xattr: kind[0] === 'l' ? r.u32() : C.SQUASHFS_INVALID_XATTR };
    }
  }
  return { inode, length: r.pos - offset };
}
