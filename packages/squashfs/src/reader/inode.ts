import { SquashfsError } from '../errors.js';
import { corrupt } from './corrupt.js';
import { u16, u32, u64 } from './bytes.js';
import { INODE_TYPE, MAX_NAME, METADATA_SIZE, NO_FRAGMENT, NO_XATTR } from './constants.js';
import type { MetaCursor } from './metadata.js';

export interface InodeCommon {
  /** Inode reference: (block relative to the inode table) * 65536 + offset. */
  ref: number;
  type: number;
  /** Raw mode field (permission bits; SquashFS keeps 12 bits). */
  mode: number;
  uidIndex: number;
  gidIndex: number;
  mtime: number;
  inodeNumber: number;
  nlink: number;
  /** xattr id index, or null. */
  xattr: number | null;
}

export interface DirIndexEntry {
  index: number;
  start: number;
  name: Uint8Array;
}

export interface DirInode extends InodeCommon {
  kind: 'dir';
  startBlock: number;
  offset: number;
  /** Listing size + 3 (as stored). */
  fileSize: number;
  parentInode: number;
  index: DirIndexEntry[];
}

export interface FileInode extends InodeCommon {
  kind: 'file';
  startBlock: number;
  fileSize: number;
  sparse: number;
  /** Fragment index, or null. */
  fragment: number | null;
  fragmentOffset: number;
  /** Raw block-list words: bits 0..23 on-disk size, bit 24 uncompressed, 0 = sparse block. */
  blocks: number[];
}

export interface SymlinkInode extends InodeCommon {
  kind: 'symlink';
  target: Uint8Array;
}

export interface DeviceInode extends InodeCommon {
  kind: 'blockdev' | 'chardev';
  rdev: number;
}

export interface IpcInode extends InodeCommon {
  kind: 'fifo' | 'socket';
}

export type Inode = DirInode | FileInode | SymlinkInode | DeviceInode | IpcInode;

export interface InodeContext {
  blockSize: number;
  inodes: number;
  noIds: number;
  fragments: number;
  xattrIds: number;
  directoryTableLength: number;
  maxSymlinkBytes: number;
  maxBlocksPerFile: number;
}

/** Basic directory-entry type (1..7) of an inode type (1..14). */
export function basicType(type: number): number {
  return type > 7 ? type - 7 : type;
}

/** Decodes the inode at the cursor; the cursor ends right after it. Every field is range-checked. */
export async function decodeInode(cur: MetaCursor, ctx: InodeContext, inodeTableStart: number): Promise<Inode> {
  const ref = cur.block * 65536 + cur.blockOffset;
  const at = inodeTableStart + cur.block;
  const bad = (message: string) => corrupt('inode table', at, `inode ${Math.floor(ref / 65536)}:${ref % 65536}: ${message}`);
  const h = await cur.read(16);
  const type = u16(h, 0);
  if (type < 1 || type > 14) throw bad(`unknown inode type ${type}`);
  const common: InodeCommon = {
    ref,
    type,
    mode: u16(h, 2),
    uidIndex: u16(h, 4),
    gidIndex: u16(h, 6),
    mtime: u32(h, 8),
    inodeNumber: u32(h, 12),
    nlink: 1,
    xattr: null,
  };
  if (common.uidIndex >= ctx.noIds) throw bad(`uid index ${common.uidIndex} not below the id count ${ctx.noIds}`);
  if (common.gidIndex >= ctx.noIds) throw bad(`gid index ${common.gidIndex} not below the id count ${ctx.noIds}`);
  if (common.inodeNumber < 1 || common.inodeNumber > ctx.inodes) throw bad(`inode number ${common.inodeNumber} not in 1..${ctx.inodes}`);
  const xattrOf = (v: number): number | null => {
    if (v === NO_XATTR) return null;
    if (v >= ctx.xattrIds) throw bad(`xattr index ${v} not below the xattr id count ${ctx.xattrIds}`);
    return v;
  };
  switch (type) {
    case INODE_TYPE.DIR: {
      const b = await cur.read(16);
      const dir: DirInode = {
        ...common,
        kind: 'dir',
        startBlock: u32(b, 0),
        nlink: u32(b, 4),
        fileSize: u16(b, 8),
        offset: u16(b, 10),
        parentInode: u32(b, 12),
        index: [],
      };
      checkDir(dir, ctx, bad);
      return dir;
    }
    case INODE_TYPE.LDIR: {
      const b = await cur.read(24);
      const count = u16(b, 16);
      const dir: DirInode = {
        ...common,
        kind: 'dir',
        nlink: u32(b, 0),
        fileSize: u32(b, 4),
        startBlock: u32(b, 8),
        parentInode: u32(b, 12),
        offset: u16(b, 18),
        xattr: xattrOf(u32(b, 20)),
        index: [],
      };
      checkDir(dir, ctx, bad);
      for (let i = 0; i < count; i++) {
        const e = await cur.read(12);
        const size = u32(e, 8) + 1;
        if (size > MAX_NAME) throw bad(`directory index name of ${size} bytes`);
        dir.index.push({ index: u32(e, 0), start: u32(e, 4), name: (await cur.read(size)).slice() });
      }
      return dir;
    }
    case INODE_TYPE.REG:
    case INODE_TYPE.LREG: {
      let file: FileInode;
      if (type === INODE_TYPE.REG) {
        const b = await cur.read(16);
        const fragment = u32(b, 4);
        file = {
          ...common,
          kind: 'file',
          startBlock: u32(b, 0),
          fragment: fragment === NO_FRAGMENT ? null : fragment,
          fragmentOffset: u32(b, 8),
          fileSize: u32(b, 12),
          sparse: 0,
          blocks: [],
        };
      } else {
        const b = await cur.read(40);
        const fragment = u32(b, 28);
        file = {
          ...common,
          kind: 'file',
          startBlock: u64(b, 0),
          fileSize: u64(b, 8),
          sparse: u64(b, 16),
          nlink: u32(b, 24),
          fragment: fragment === NO_FRAGMENT ? null : fragment,
          fragmentOffset: u32(b, 32),
          xattr: xattrOf(u32(b, 36)),
          blocks: [],
        };
      }
      if (!Number.isSafeInteger(file.fileSize)) throw bad('file size beyond 2^53');
      if (!Number.isSafeInteger(file.startBlock)) throw bad('start block beyond 2^53');
      if (file.fragment !== null) {
        if (file.fragment >= ctx.fragments) throw bad(`fragment index ${file.fragment} not below the fragment count ${ctx.fragments}`);
        if (file.fragmentOffset >= ctx.blockSize) throw bad(`fragment offset ${file.fragmentOffset} not below the block size`);
      }
      const count = file.fragment === null ? Math.ceil(file.fileSize / ctx.blockSize) : Math.floor(file.fileSize / ctx.blockSize);
      if (count > ctx.maxBlocksPerFile) {
        throw new SquashfsError('LIMIT_EXCEEDED', `inode ${common.inodeNumber}: ${count} data blocks, above maxBlocksPerFile (${ctx.maxBlocksPerFile})`, {
          structure: 'inode table',
          offset: at,
        });
      }
      // Read the block list in bounded chunks: a lying file size runs into the end of the table
      // long before it can make us allocate for it.
      let left = count;
      while (left > 0) {
        const n = Math.min(left, 2048);
        const words = await cur.read(n * 4);
        for (let i = 0; i < n; i++) file.blocks.push(u32(words, i * 4));
        left -= n;
      }
      return file;
    }
    case INODE_TYPE.SYMLINK:
    case INODE_TYPE.LSYMLINK: {
      const b = await cur.read(8);
      const size = u32(b, 4);
      if (size > ctx.maxSymlinkBytes) throw bad(`symlink target of ${size} bytes (limit ${ctx.maxSymlinkBytes})`);
      const target = (await cur.read(size)).slice();
      const link: SymlinkInode = { ...common, kind: 'symlink', nlink: u32(b, 0), target };
      if (type === INODE_TYPE.LSYMLINK) link.xattr = xattrOf(u32(await cur.read(4), 0));
      return link;
    }
    case INODE_TYPE.BLKDEV:
    case INODE_TYPE.CHRDEV:
    case INODE_TYPE.LBLKDEV:
    case INODE_TYPE.LCHRDEV: {
      const extended = type > 7;
      const b = await cur.read(extended ? 12 : 8);
      const kind = basicType(type) === INODE_TYPE.BLKDEV ? 'blockdev' : 'chardev';
      return { ...common, kind, nlink: u32(b, 0), rdev: u32(b, 4), xattr: extended ? xattrOf(u32(b, 8)) : null };
    }
    default: {
      const extended = type > 7;
      const b = await cur.read(extended ? 8 : 4);
      const kind = basicType(type) === INODE_TYPE.FIFO ? 'fifo' : 'socket';
      return { ...common, kind, nlink: u32(b, 0), xattr: extended ? xattrOf(u32(b, 4)) : null };
    }
  }
}

function checkDir(dir: DirInode, ctx: InodeContext, bad: (m: string) => Error): void {
  if (dir.offset >= METADATA_SIZE) throw bad(`directory offset ${dir.offset} not below 8192`);
  if (dir.fileSize > 3 && dir.startBlock >= ctx.directoryTableLength) {
    throw bad(`directory listing block ${dir.startBlock} outside the directory table (${ctx.directoryTableLength} bytes)`);
  }
}

/** Linux new_encode_dev decoding. */
export function decodeRdev(rdev: number): { major: number; minor: number } {
  return { major: (rdev >>> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) };
}
