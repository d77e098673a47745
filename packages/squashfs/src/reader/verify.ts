import { SquashfsError } from '../errors.js';
import type { ImageSource } from '../io/sink.js';
import { compareBytes } from '../tree/names.js';
import { u64 } from './bytes.js';
import { METADATA_SIZE } from './constants.js';
import { blockLayout, checkFileData, fragmentLength, fragmentLengthsAhead } from './data.js';
import { basicType, type DirInode, type FileInode, type Inode } from './inode.js';
import { SquashfsImage, type OpenOptions } from './image.js';
import { MetaCursor } from './metadata.js';
import { readXattrs } from './xattr.js';
import { readListing } from './directory.js';
import type { LookupTable } from './tables.js';

export interface VerifyProblem {
  /** On-disk structure ('superblock', 'inode table', 'directory table', 'data block', ...). */
  structure: string;
  offset: number;
  message: string;
  path?: string;
}

export interface VerifyStats {
  imageSize: number;
  bytesUsed: number;
  inodes: number;
  directories: number;
  files: number;
  symlinks: number;
  devices: number;
  ipc: number;
  hardLinkedInodes: number;
  dataBlocks: number;
  sparseBlocks: number;
  fragmentBlocks: number;
  metadataBlocks: number;
  xattrIds: number;
  uncompressedBytes: number;
}

export interface VerifyReport {
  ok: boolean;
  problems: VerifyProblem[];
  stats: VerifyStats;
}

export interface VerifyOptions extends OpenOptions {
  /** Keep going after the first problem (default false: stop at the first). */
  all?: boolean;
  /** With `all`, stop after this many problems (default 100). */
  maxProblems?: number;
  /** Decompress every data and fragment block (default true). */
  checkData?: boolean;
}

const STOP = Symbol('stop');

/**
 * Checks an image from end to end: every table, inode, directory and data block, and the rules
 * the kernel and unsquashfs enforce (table order and adjacency, full 8 KiB metadata blocks, sorted
 * names, inode numbers 1..N, id/fragment/xattr references in range). Never throws for a bad image.
 */
export async function verifyImage(source: ImageSource, options: VerifyOptions = {}): Promise<VerifyReport> {
  const all = options.all ?? false;
  const maxProblems = options.maxProblems ?? 100;
  const problems: VerifyProblem[] = [];
  const stats: VerifyStats = {
    imageSize: source.size,
    bytesUsed: 0,
    inodes: 0,
    directories: 0,
    files: 0,
    symlinks: 0,
    devices: 0,
    ipc: 0,
    hardLinkedInodes: 0,
    dataBlocks: 0,
    sparseBlocks: 0,
    fragmentBlocks: 0,
    metadataBlocks: 0,
    xattrIds: 0,
    uncompressedBytes: 0,
  };
  const problem = (p: VerifyProblem): void => {
    problems.push(p);
    if (!all || problems.length >= maxProblems) throw STOP;
  };
  /** Runs a check; a SquashfsError (or any other error) becomes a problem. */
  const check = async (fn: () => Promise<void>, path?: string): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (error) {
      if (error === STOP) throw error;
      if (error instanceof SquashfsError) {
        problem({ structure: error.structure ?? 'image', offset: error.offset ?? 0, message: error.message, ...(path === undefined ? {} : { path }) });
      } else {
        problem({ structure: 'image', offset: 0, message: `internal error: ${(error as Error)?.stack ?? String(error)}`, ...(path === undefined ? {} : { path }) });
      }
      return false;
    }
  };
  let image: SquashfsImage | undefined;
  try {
    await check(async () => {
      image = await SquashfsImage.open(source, options);
    });
    if (image !== undefined) await verifyOpened(image, problem, check, stats, options.checkData ?? true);
  } catch (error) {
    if (error !== STOP) throw error;
  }
  if (image !== undefined) stats.metadataBlocks = image.meta.blocksRead;
  return { ok: problems.length === 0, problems, stats };
}

type Check = (fn: () => Promise<void>, path?: string) => Promise<boolean>;
type Problem = (p: VerifyProblem) => void;

async function verifyOpened(img: SquashfsImage, problem: Problem, check: Check, stats: VerifyStats, checkData: boolean): Promise<void> {
  const sb = img.superblock;
  const layout = img.layout;
  stats.bytesUsed = sb.bytesUsed;
  // The data blocks are checked last, off this thread where the decompressor can: its threads
  // start now, while the tables are checked, instead of when the first block waits for them.
  if (checkData && layout.dataStart < sb.inodeTableStart) img.decompressor.prepareAsync?.();

  // ---- superblock rules beyond what open() enforces ----
  if (sb.decodedFlags.check) problem({ structure: 'superblock', offset: 24, message: 'CHECK flag set (must be 0 in SquashFS 4.0)' });
  if (sb.fragments > sb.inodes) problem({ structure: 'superblock', offset: 16, message: `${sb.fragments} fragments for ${sb.inodes} inodes (unsquashfs rejects)` });
  if (sb.noIds > 2 * sb.inodes) problem({ structure: 'superblock', offset: 26, message: `${sb.noIds} ids for ${sb.inodes} inodes (unsquashfs rejects)` });
  if (sb.compression === 5 && sb.compressorOptions === undefined) {
    problem({ structure: 'compression options', offset: 96, message: 'lz4 images must carry compressor options' });
  }
  if (sb.decodedFlags.compressorOptions) {
    // The options block is always stored uncompressed.
    await check(async () => {
      const blk = await img.meta.block(96, sb.inodeTableStart, 'compression options');
      if (blk.compressed) problem({ structure: 'compression options', offset: 96, message: 'compressor options block is compressed' });
    });
  }

  // ---- lookup tables: every block full (8192) except the last, adjacent to the next ----
  const lookupTables: LookupTable[] = [layout.ids];
  if (layout.fragments) lookupTables.push(layout.fragments);
  if (layout.exports) lookupTables.push(layout.exports);
  if (layout.xattr) lookupTables.push(layout.xattr.ids);
  for (const table of lookupTables) {
    for (let i = 0; i < table.pointers.length; i++) await check(async () => void (await table.blockData(i)));
  }

  // ---- sequential metadata tables: a chain of blocks that ends exactly at the next table ----
  const scanChain = async (structure: 'inode table' | 'directory table' | 'xattr table', start: number, end: number) => {
    await check(async () => {
      let pos = start;
      while (pos < end) {
        const blk = await img.meta.block(pos, end, structure);
        if (blk.next < end && blk.data.length !== METADATA_SIZE) {
          problem({ structure, offset: pos, message: `metadata block of ${blk.data.length} bytes before the end of the table (all but the last must hold 8192)` });
        }
        pos = blk.next;
      }
    });
  };
  await scanChain('inode table', layout.inodeTable.start, layout.inodeTable.end);
  await scanChain('directory table', layout.directoryTable.start, layout.directoryTable.end);
  if (layout.xattr) await scanChain('xattr table', layout.xattr.kvStart, layout.xattr.kvEnd);

  // ---- inode table, read sequentially: every inode decodes, numbers 1..N unique ----
  const inodes = new Map<number, Inode>();
  const byNumber = new Map<number, number>();
  await check(async () => {
    const { start, end } = layout.inodeTable;
    const cur = new MetaCursor(img.meta, 'inode table', start, end, 0, 0);
    while (await cur.normalize()) {
      const inode = await img.inodeAtCursor(cur);
      inodes.set(inode.ref, inode);
      const other = byNumber.get(inode.inodeNumber);
      if (other !== undefined) {
        problem({ structure: 'inode table', offset: start + Math.floor(inode.ref / 65536), message: `inode number ${inode.inodeNumber} used by two inodes` });
      }
      byNumber.set(inode.inodeNumber, inode.ref);
      if (inodes.size > sb.inodes) {
        problem({ structure: 'inode table', offset: start + Math.floor(inode.ref / 65536), message: `more inodes in the table than the superblock's ${sb.inodes}` });
        return;
      }
    }
  });
  if (inodes.size !== sb.inodes) {
    problem({ structure: 'inode table', offset: layout.inodeTable.start, message: `${inodes.size} inodes in the table, the superblock says ${sb.inodes}` });
  }
  stats.inodes = inodes.size;
  for (const inode of inodes.values()) {
    if (inode.kind === 'dir') stats.directories++;
    else if (inode.kind === 'file') stats.files++;
    else if (inode.kind === 'symlink') stats.symlinks++;
    else if (inode.kind === 'blockdev' || inode.kind === 'chardev') stats.devices++;
    else stats.ipc++;
    if (inode.kind !== 'dir' && inode.nlink > 1) stats.hardLinkedInodes++;
  }

  // ---- directory tree from the root ----
  const reached = new Set<number>();
  const rootRef = sb.rootInode;
  if (!inodes.has(rootRef)) problem({ structure: 'superblock', offset: 32, message: `root inode reference ${rootRef} is not the start of an inode` });
  const root = inodes.get(rootRef);
  if (root !== undefined && root.kind !== 'dir') problem({ structure: 'superblock', offset: 32, message: 'root inode is not a directory' });
  if (root !== undefined && root.kind === 'dir') {
    reached.add(root.ref);
    const stack: { dir: DirInode; path: string }[] = [{ dir: root, path: '' }];
    while (stack.length > 0) {
      const { dir, path } = stack.pop()!;
      await check(async () => {
        const listing = await readListing(
          {
            meta: img.meta,
            directoryTable: layout.directoryTable,
            inodeTableLength: layout.inodeTable.end - layout.inodeTable.start,
            inodes: sb.inodes,
            maxEntries: img.limits.maxDirectoryEntries,
          },
          dir,
        );
        const at = layout.directoryTable.start + dir.startBlock;
        const where = { structure: 'directory table', offset: at, path };
        if (dir.fileSize < 3) problem({ ...where, message: `directory size ${dir.fileSize} below 3 (no room for the +3 convention)` });
        else if (listing.consumed !== dir.fileSize - 3) {
          problem({ ...where, message: `listing is ${listing.consumed} bytes, the inode says ${dir.fileSize} - 3` });
        }
        for (let i = 1; i < listing.entries.length; i++) {
          if (compareBytes(listing.entries[i - 1]!.nameBytes, listing.entries[i]!.nameBytes) >= 0) {
            problem({ ...where, message: `names unsorted or duplicate: ${JSON.stringify(listing.entries[i - 1]!.name)} then ${JSON.stringify(listing.entries[i]!.name)}` });
          }
        }
        // Directory index (LDIR): each entry points at a header, in the block that holds it.
        let lastIndex = -1;
        const headerAt = new Map(listing.headers.map((h) => [h.listingOffset, h]));
        for (const ix of dir.index) {
          const header = headerAt.get(ix.index);
          if (ix.index <= lastIndex || header === undefined) {
            problem({ structure: 'inode table', offset: layout.inodeTable.start + Math.floor(dir.ref / 65536), path, message: `directory index entry at listing offset ${ix.index} does not point at a header in order` });
            continue;
          }
          lastIndex = ix.index;
          const first = listing.entries[header.firstEntry];
          if (header.block !== ix.start || first === undefined || compareBytes(first.nameBytes, ix.name) !== 0) {
            problem({ structure: 'inode table', offset: layout.inodeTable.start + Math.floor(dir.ref / 65536), path, message: `directory index entry at ${ix.index} disagrees with the header (block ${header.block} vs ${ix.start}, or name)` });
          }
          // The kernel recomputes the position as (index + dir offset) % 8192 inside block `start`.
          if ((ix.index + dir.offset) % METADATA_SIZE !== header.blockOffset) {
            problem({ structure: 'inode table', offset: layout.inodeTable.start + Math.floor(dir.ref / 65536), path, message: `directory index entry at ${ix.index} lands at offset ${(ix.index + dir.offset) % METADATA_SIZE}, the header is at ${header.blockOffset}` });
          }
        }
        for (const e of listing.entries) {
          const childPath = path === '' ? e.name : `${path}/${e.name}`;
          const child = inodes.get(e.inodeRef);
          if (child === undefined) {
            problem({ ...where, path: childPath, message: `entry points at ${Math.floor(e.inodeRef / 65536)}:${e.inodeRef % 65536}, not the start of an inode` });
            continue;
          }
          if (basicType(child.type) !== e.type) problem({ ...where, path: childPath, message: `entry type ${e.type} but the inode has type ${child.type}` });
          if (child.inodeNumber !== e.inodeNumber) {
            problem({ ...where, path: childPath, message: `entry says inode number ${e.inodeNumber}, the inode says ${child.inodeNumber}` });
          }
          if (child.kind === 'dir') {
            if (reached.has(child.ref)) {
              problem({ ...where, path: childPath, message: 'directory reached twice (loop or directory hard link)' });
              continue;
            }
            if (child.parentInode !== dir.inodeNumber) {
              problem({ structure: 'inode table', offset: layout.inodeTable.start + Math.floor(child.ref / 65536), path: childPath, message: `parent inode ${child.parentInode}, expected ${dir.inodeNumber}` });
            }
            stack.push({ dir: child, path: childPath });
          }
          reached.add(child.ref);
        }
      }, path);
    }
  }
  if (reached.size !== inodes.size && inodes.size === sb.inodes) {
    problem({ structure: 'inode table', offset: layout.inodeTable.start, message: `${inodes.size - reached.size} inodes are not reachable from the root` });
  }

  // ---- export table: inode number i -> reference of that inode ----
  // (Only when the inode count is right: a lying count must not make us walk billions of entries.)
  if (layout.exports && inodes.size === sb.inodes) {
    const exports = layout.exports;
    await check(async () => {
      for (let n = 1; n <= exports.count; n++) {
        const ref = u64(await exports.entry(n - 1), 0);
        if (byNumber.get(n) !== ref) {
          problem({ structure: 'export table', offset: exports.pointers[Math.floor(((n - 1) * 8) / METADATA_SIZE)]!, message: `inode ${n} maps to reference ${ref}, the inode is at ${byNumber.get(n) ?? 'nowhere'}` });
        }
      }
    });
  }

  // ---- xattrs: every id entry and its key/value pairs ----
  if (layout.xattr && layout.xattr.ids.count > sb.inodes) {
    problem({ structure: 'xattr table', offset: layout.xattr.headerStart + 8, message: `${layout.xattr.ids.count} xattr ids for ${sb.inodes} inodes` });
  } else if (layout.xattr) {
    const xattr = layout.xattr;
    stats.xattrIds = xattr.ids.count;
    for (let i = 0; i < xattr.ids.count; i++) {
      await check(async () => void (await readXattrs(img.meta, xattr, i, img.limits)));
    }
  }

  // ---- data: every block inside the data area and decompressing to its declared size ----
  const dataEnd = sb.inodeTableStart;
  const dataStart = layout.dataStart;
  const checked = new Set<string>();
  for (const inode of inodes.values()) {
    if (inode.kind !== 'file') continue;
    const file: FileInode = inode;
    await check(async () => {
      for (const b of blockLayout(img.dataAccess, file)) {
        if (b.size === 0) stats.sparseBlocks++;
        else {
          stats.dataBlocks++;
          if (b.position < dataStart || b.position + b.size > dataEnd) {
            problem({ structure: 'data block', offset: b.position, message: `data block of inode ${file.inodeNumber} outside the data area ${dataStart}..${dataEnd}` });
          }
        }
      }
      stats.uncompressedBytes += file.fileSize;
      if (!checkData) return;
      // Duplicate files share their blocks: check each distinct block list once.
      let hash = 0x811c9dc5;
      for (const w of file.blocks) hash = Math.imul(hash ^ w, 0x01000193) >>> 0;
      const key = `${file.startBlock}:${file.blocks.length}:${hash}:${file.fileSize}:${file.fragment}:${file.fragmentOffset}`;
      if (checked.has(key)) return;
      checked.add(key);
      await checkFileData(img.dataAccess, file);
    });
  }
  if (layout.fragments && sb.fragments <= sb.inodes) {
    const fragments = layout.fragments;
    stats.fragmentBlocks = fragments.count;
    // Each block is decompressed once (the files' tails asked for most of them already), a few
    // ahead (off this thread where the decompressor can); problems are reported in index order.
    for (let i = 0; i < fragments.count; i++) {
      if (checkData) fragmentLengthsAhead(img.dataAccess, i);
      await check(async () => {
        const e = await fragments.entry(i);
        const at = u64(e, 0);
        if (at < dataStart || at >= dataEnd) problem({ structure: 'fragment table', offset: fragments.pointers[Math.floor((i * 16) / METADATA_SIZE)]!, message: `fragment ${i} at ${at} outside the data area` });
        if (checkData) await fragmentLength(img.dataAccess, i);
      });
    }
  }
}
