import { SquashfsError } from '../errors.js';
import { SQUASHFS_INVALID_XATTR, SQUASHFS_METADATA_SIZE, TWO_POW_32 } from '../format/constants.js';
import { writeDirectoryListing, type ListingEntry } from '../format/directory.js';
import { INODE_TYPE, basicType, encodeInodeInto, encodeRdev, type InodeHeader, type InodeRecord } from '../format/inode.js';
import { LeWriter } from '../format/le.js';
import type { MetadataWriter } from '../metadata/metadata-writer.js';
import type { FilePlacement } from '../data/file-writer.js';
import type { DirNode, FsNode } from '../tree/node.js';
import type { NodeInfo, PreparedTree } from './prepare.js';

export interface InodeContext {
  tree: PreparedTree;
  placements: Map<FsNode, FilePlacement>;
  inodes: MetadataWriter;
  dirs: MetadataWriter;
  allRoot: boolean;
  clampMtime: number | undefined;
  /** Inode reference by inode number - 1 (the export table); a hole until the inode is written. */
  exportRefs: number[];
}

/**
 * Writes every inode (post-order: a directory's children, then the directory; the root last) and
 * every directory listing. Returns the root inode reference.
 */
export function writeInodesAndDirectories(ctx: InodeContext): number {
  const { tree } = ctx;
  const scratch = new LeWriter(256); // every inode is encoded here, then copied into the table

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

  const put = (rec: InodeRecord): number => {
    const ref = ctx.inodes.ref();
    encodeInodeInto(rec, scratch.reset());
    ctx.inodes.write(scratch.data, 0, scratch.length);
    ctx.exportRefs[rec.header.inodeNumber - 1] = ref; // also how a node written once is known
    return ref;
  };

  const leaf = (node: Exclude<FsNode, DirNode>, info: NodeInfo): InodeRecord => {
    const h = header(node, info);
    const xattr = info.xattr;
    const hasX = xattr !== SQUASHFS_INVALID_XATTR;
    const nlink = info.refs;
    switch (node.kind) {
      case 'file': {
        const p = ctx.placements.get(node)!;
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

  const dir = (node: DirNode, info: NodeInfo, parentIno: number): number => {
    const kids = info.children!;
    const entries: ListingEntry[] = [];
    for (const c of kids) {
      const child = tree.nodes.get(c.node)!;
      let ref = ctx.exportRefs[child.ino - 1];
      if (ref === undefined) ref = c.node.kind === 'dir' ? dir(c.node, child, info.ino) : put(leaf(c.node, child));
      entries.push({ name: c.name, inodeRef: ref, inodeNumber: child.ino, type: basicType(typeOf(c.node)) });
    }
    const startBlock = ctx.dirs.blockStart;
    const offset = ctx.dirs.offsetInBlock;
    const { size, index } = writeDirectoryListing(entries, ctx.dirs);
    const xattr = info.xattr;
    const nlink = 2 + info.subdirs;
    const h = header(node, info);
    if (kids.length >= 257 || size >= SQUASHFS_METADATA_SIZE || xattr !== SQUASHFS_INVALID_XATTR) {
      if (index.length > 0xffff) {
        throw new SquashfsError('LIMIT_EXCEEDED', `directory ${JSON.stringify(info.path)} is too large (${index.length} index entries)`, { path: info.path });
      }
      return put({ kind: 'ldir', header: h, nlink, fileSize: size + 3, startBlock, parentInode: parentIno, offset, xattr, index });
    }
    return put({ kind: 'dir', header: h, startBlock, nlink, fileSize: size + 3, offset, parentInode: parentIno });
  };

  return dir(tree.root, tree.nodes.get(tree.root)!, tree.inodeCount + 1);
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
