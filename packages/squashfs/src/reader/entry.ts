import { utf8 } from './bytes.js';
import { decodeRdev, type Inode } from './inode.js';

export type EntryKind = 'dir' | 'file' | 'symlink' | 'blockdev' | 'chardev' | 'fifo' | 'socket';

/** What `stat` reports (lstat semantics: symlinks are not followed). */
export interface EntryStat {
  /** Path inside the image without a leading "/"; the root is "". */
  path: string;
  /** Last path component ("" for the root). */
  name: string;
  kind: EntryKind;
  /** Permission bits (12 bits: rwx + setuid/setgid/sticky). */
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** Files: bytes; directories: listing size + 3 as stored; symlinks: target length; others: 0. */
  size: number;
  nlink: number;
  inodeNumber: number;
  /** Inode type 1..14 (8..14 are the extended forms). */
  inodeType: number;
  /** Inode reference: block (relative to the inode table) * 65536 + offset. */
  inodeRef: number;
  target?: string;
  major?: number;
  minor?: number;
  xattrs: Map<string, Uint8Array>;
  /** Regular files: fragment holding the tail, if any. */
  fragment?: { index: number; offset: number };
  /** Regular files: raw block-list words (bits 0..23 size, bit 24 uncompressed, 0 = sparse). */
  blocks?: readonly number[];
  /** Regular files: position of the first data block. */
  startBlock?: number;
  /** Extended regular files: the sparse byte count as stored. */
  sparse?: number;
}

export function entryStat(inode: Inode, path: string, name: string, uid: number, gid: number, xattrs: Map<string, Uint8Array>): EntryStat {
  const st: EntryStat = {
    path,
    name,
    kind: inode.kind,
    mode: inode.mode & 0o7777,
    uid,
    gid,
    mtime: inode.mtime,
    size: 0,
    nlink: inode.nlink,
    inodeNumber: inode.inodeNumber,
    inodeType: inode.type,
    inodeRef: inode.ref,
    xattrs,
  };
  switch (inode.kind) {
    case 'dir':
      st.size = inode.fileSize;
      break;
    case 'file':
      st.size = inode.fileSize;
      st.blocks = inode.blocks;
      st.startBlock = inode.startBlock;
      if (inode.fragment !== null) st.fragment = { index: inode.fragment, offset: inode.fragmentOffset };
      if (inode.type === 9) st.sparse = inode.sparse;
      break;
    case 'symlink':
      st.size = inode.target.length;
      st.target = utf8(inode.target);
      break;
    case 'blockdev':
    case 'chardev': {
      const { major, minor } = decodeRdev(inode.rdev);
      st.major = major;
      st.minor = minor;
      break;
    }
    default:
      break;
  }
  return st;
}

const TYPE_CHAR: Record<EntryKind, string> = { dir: 'd', file: '-', symlink: 'l', blockdev: 'b', chardev: 'c', fifo: 'p', socket: 's' };

/** `ls -l` style mode string, e.g. "drwxr-xr-x" or "-rwsr-xr-t". */
export function modeString(kind: EntryKind, mode: number): string {
  const bit = (m: number, c: string) => ((mode & m) !== 0 ? c : '-');
  const special = (x: boolean, s: boolean, lower: string, upper: string) => (s ? (x ? lower : upper) : x ? 'x' : '-');
  return (
    TYPE_CHAR[kind] +
    bit(0o400, 'r') +
    bit(0o200, 'w') +
    special((mode & 0o100) !== 0, (mode & 0o4000) !== 0, 's', 'S') +
    bit(0o040, 'r') +
    bit(0o020, 'w') +
    special((mode & 0o010) !== 0, (mode & 0o2000) !== 0, 's', 'S') +
    bit(0o004, 'r') +
    bit(0o002, 'w') +
    special((mode & 0o001) !== 0, (mode & 0o1000) !== 0, 't', 'T')
  );
}
