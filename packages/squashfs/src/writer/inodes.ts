import { SquashfsError } from '../errors.js';
import { SQUASHFS_INVALID_XATTR, SQUASHFS_METADATA_SIZE, TWO_POW_32 } from '../format/constants.js';
import { writeDirectoryListing, type ListingEntry } from '../format/directory.js';
import { INODE_TYPE, basicType, encodeInodeInto, encodeRdev, type DirIndexEntry, type InodeHeader, type InodeRecord } from '../format/inode.js';
import { LeWriter } from '../format/le.js';
import type { MetadataWriter } from '../metadata/metadata-writer.js';
import type { FilePlacement } from '../data/file-writer.js';
import type { DirNode, FsNode } from '../tree/node.js';
import type { NodeInfo, PreparedTree } from './prepare.js';

export interface InodeContext {
  tree: PreparedTree;
  inodes: MetadataWriter;
  dirs: MetadataWriter;
  allRoot: boolean;
  clampMtime: number | undefined;
  /** Filled in: the inode reference of every inode, by inode number - 1 (the export table). */
  exportRefs: number[];
  /**
   * Resolves once a file's blocks are written (placement.blocks as long as placement.blockCount):
   * a file whose blocks are still on their way waits for it. Absent: every placement is complete.
   */
  placed?: (placement: FilePlacement) => Promise<unknown>;
}

/** A directory waiting for its listing. */
interface Pending {
  node: DirNode;
  info: NodeInfo;
  parentIno: number;
}

/** A directory whose listing is written: where it is, for its inode. */
interface Listed extends Pending {
  /** Listing start: dir table block number << 16 | offset. */
  at: number;
  size: number;
  /** Index entries, their startBlock a dir table block number until the inode is written. */
  index: DirIndexEntry[];
}

/**
 * Writes every inode and every directory listing into `inodes` and `dirs` (the caller finishes
 * both writers), fills in `exportRefs` and returns the root inode reference.
 *
 * The order lets both tables compress on every core (their writers' asynchronous compressor)
 * although each refers to the other's compressed positions: first the inodes of everything but
 * directories (post-order, each node once), which refer to nothing in the tables; then, for
 * height 0, 1, 2, ... (a directory without subdirectories has height 0, the root the greatest),
 * the listings of the directories of that height, which refer to inodes already written, then
 * their inodes, which refer to those listings. Each step waits only for the blocks before the
 * positions it needs; the blocks of a step compress together.
 */
export async function writeInodesAndDirectories(ctx: InodeContext): Promise<number> {
  const { tree, inodes, dirs } = ctx;
  const scratch = new LeWriter(256); // every inode is encoded here, then copied into the table
  /** Where each inode went, by inode number - 1: inode table block number << 16 | offset. */
  const at: number[] = new Array<number>(tree.inodeCount);

  const header = (node: FsNode, info: NodeInfo): InodeHeader => {
    const m = node.meta;
    const mtime = ctx.clampMtime !== undefined && m.mtime > ctx.clampMtime ? ctx.clampMtime : m.mtime;
    return {
      mode: m.mode,
      uidIndex: tree.idIndex.get(ctx.allRoot ? 0 : m.uid)!,
      gidIndex: tree.idIndex.get(ctx.allRoot ? 0 : m.gid)!,
      mtime,
      inodeNumber: info.ino,
    };
  };

  const put = (rec: InodeRecord): void => {
    at[rec.header.inodeNumber - 1] = inodes.blockRef();
    encodeInodeInto(rec, scratch.reset());
    inodes.write(scratch.data, 0, scratch.length);
  };

  const leaf = (node: Exclude<FsNode, DirNode>, info: NodeInfo): InodeRecord => {
    const h = header(node, info);
    const xattr = info.xattr;
    const hasX = xattr !== SQUASHFS_INVALID_XATTR;
    const nlink = info.refs;
    switch (node.kind) {
      case 'file': {
        const p = info.placement!;
        if (nlink > 1 || hasX || p.sparse > 0 || p.size >= TWO_POW_32 || p.startBlock >= TWO_POW_32) {
          return { kind: 'lreg', header: h, startBlock: p.startBlock, fileSize: p.size, sparse: p.sparse, nlink, fragment: p.fragment, offset: p.offset, xattr, blocks: p.blocks };
        }
        return { kind: 'reg', header: h, startBlock: p.startBlock, fragment: p.fragment, offset: p.offset, fileSize: p.size, blocks: p.blocks };
      }
      case 'symlink':
        return { kind: hasX ? 'lsymlink' : 'symlink', header: h, nlink, target: new TextEncoder().encode(node.target), xattr };
      case 'blockdev':
        return { kind: hasX ? 'lblkdev' : 'blkdev', header: h, nlink, rdev: encodeRdev(node.major, node.minor), xattr };
      case 'chardev':
        return { kind: hasX ? 'lchrdev' : 'chrdev', header: h, nlink, rdev: encodeRdev(node.major, node.minor), xattr };
      case 'fifo':
        return { kind: hasX ? 'lfifo' : 'fifo', header: h, nlink, xattr };
      case 'socket':
        return { kind: hasX ? 'lsocket' : 'socket', header: h, nlink, xattr };
    }
  };

  // The order: everything but directories in post-order (each node once), directories by height.
  const leaves: { node: Exclude<FsNode, DirNode>; info: NodeInfo }[] = [];
  const byHeight: Pending[][] = [];
  const met = new Uint8Array(tree.inodeCount + 1);
  const order = (node: DirNode, info: NodeInfo, parentIno: number): number => {
    let height = 0;
    for (const c of info.children!) {
      const child = c.info!;
      if (c.node.kind === 'dir') height = Math.max(height, order(c.node, child, info.ino) + 1);
      else if (met[child.ino] === 0) {
        met[child.ino] = 1;
        leaves.push({ node: c.node, info: child });
      }
    }
    (byHeight[height] ??= []).push({ node, info, parentIno });
    return height;
  };
  const rootInfo = tree.nodes.get(tree.root)!;
  order(tree.root, rootInfo, tree.inodeCount + 1);

  for (const { node, info } of leaves) {
    if (node.kind === 'file' && ctx.placed !== undefined) {
      const p = info.placement!;
      if (p.blocks.length < p.blockCount) await ctx.placed(p);
    }
    put(leaf(node, info));
  }

  // The listings' index entries record dir table block numbers (resolved with the inodes).
  const listingOut = {
    get blockStart(): number {
      return dirs.block;
    },
    write: (bytes: Uint8Array, start: number, end: number): void => dirs.write(bytes, start, end),
  };
  for (const group of byHeight) {
    await inodes.settle(); // every inode written so far has its reference
    const listed: Listed[] = [];
    for (const { node, info, parentIno } of group) {
      const entries: ListingEntry[] = info.children!.map((c) => {
        const ino = c.info!.ino;
        return { name: c.name, inodeRef: inodes.resolve(at[ino - 1]!), inodeNumber: ino, type: basicType(typeOf(c.node)) };
      });
      const start = dirs.blockRef();
      const { size, index } = writeDirectoryListing(entries, listingOut);
      listed.push({ node, info, parentIno, at: start, size, index });
    }
    await dirs.settle(); // every listing written so far has its position
    for (const d of listed) put(dirInode(d));
  }

  function dirInode({ node, info, parentIno, at: listing, size, index }: Listed): InodeRecord {
    const startBlock = dirs.startOf(Math.floor(listing / 0x1_0000));
    const offset = listing % 0x1_0000;
    const xattr = info.xattr;
    const nlink = 2 + info.subdirs;
    const h = header(node, info);
    if (info.children!.length >= 257 || size >= SQUASHFS_METADATA_SIZE || xattr !== SQUASHFS_INVALID_XATTR) {
      if (index.length > 0xffff) {
        throw new SquashfsError('LIMIT_EXCEEDED', `directory ${JSON.stringify(info.path)} is too large (${index.length} index entries)`, { path: info.path });
      }
      for (const e of index) e.startBlock = dirs.startOf(e.startBlock);
      return { kind: 'ldir', header: h, nlink, fileSize: size + 3, startBlock, parentInode: parentIno, offset, xattr, index };
    }
    return { kind: 'dir', header: h, startBlock, nlink, fileSize: size + 3, offset, parentInode: parentIno };
  }

  await inodes.settle();
  for (let i = 0; i < at.length; i++) ctx.exportRefs[i] = inodes.resolve(at[i]!);
  return ctx.exportRefs[rootInfo.ino - 1]!;
}

function typeOf(node: FsNode): number {
  switch (node.kind) {
    case 'dir':
      return INODE_TYPE.dir;
    case 'file':
      return INODE_TYPE.reg;
    case 'symlink':
      return INODE_TYPE.symlink;
    case 'blockdev':
      return INODE_TYPE.blkdev;
    case 'chardev':
      return INODE_TYPE.chrdev;
    case 'fifo':
      return INODE_TYPE.fifo;
    case 'socket':
      return INODE_TYPE.socket;
  }
}
