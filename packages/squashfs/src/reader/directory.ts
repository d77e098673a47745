import { corrupt } from './corrupt.js';
import { s16, u16, u32, utf8 } from './bytes.js';
import { MAX_DIR_HEADER_COUNT, MAX_NAME, METADATA_SIZE } from './constants.js';
import type { DirInode } from './inode.js';
import { MetaCursor, type MetadataReader } from './metadata.js';

export interface DirEntry {
  name: string;
  nameBytes: Uint8Array;
  /** Inode reference (block relative to the inode table * 65536 + offset). */
  inodeRef: number;
  inodeNumber: number;
  /** Basic inode type 1..7 as stored in the entry. */
  type: number;
}

export interface DirHeader {
  /** Byte offset of this header from the start of the listing. */
  listingOffset: number;
  /** Directory-table block (relative) and offset where the header starts. */
  block: number;
  blockOffset: number;
  count: number;
  start: number;
  inodeNumber: number;
  /** Index of its first entry in `entries`. */
  firstEntry: number;
}

export interface Listing {
  entries: DirEntry[];
  headers: DirHeader[];
  /** Bytes of listing consumed (normally fileSize - 3). */
  consumed: number;
}

export interface ListingContext {
  meta: MetadataReader;
  directoryTable: { start: number; end: number };
  inodeTableLength: number;
  inodes: number;
  maxEntries: number;
}

/** A name the format allows: 1..256 bytes, no "/", no NUL, not "." or "..". */
export function nameIsValid(b: Uint8Array): boolean {
  if (b.length === 0 || b.length > MAX_NAME) return false;
  if (b.length === 1 && b[0] === 0x2e) return false;
  if (b.length === 2 && b[0] === 0x2e && b[1] === 0x2e) return false;
  for (const c of b) if (c === 0x2f || c === 0) return false;
  return true;
}

/** Parses a directory's listing: runs of (header, entries) totalling fileSize - 3 bytes. */
export async function readListing(ctx: ListingContext, dir: DirInode): Promise<Listing> {
  const entries: DirEntry[] = [];
  const headers: DirHeader[] = [];
  const size = dir.fileSize - 3;
  if (size <= 0) return { entries, headers, consumed: 0 };
  const { start, end } = ctx.directoryTable;
  const cur = new MetaCursor(ctx.meta, 'directory table', start, end, dir.startBlock, dir.offset);
  const names = new Set<string>();
  let consumed = 0;
  while (consumed < size) {
    await cur.normalize();
    const block = cur.block;
    const blockOffset = cur.blockOffset;
    const at = start + block;
    const bad = (m: string) => corrupt('directory table', at, `directory (inode ${dir.inodeNumber}): ${m}`);
    const h = await cur.read(12);
    const count = u32(h, 0) + 1;
    const header: DirHeader = {
      listingOffset: consumed,
      block,
      blockOffset,
      count,
      start: u32(h, 4),
      inodeNumber: u32(h, 8),
      firstEntry: entries.length,
    };
    consumed += 12;
    if (count > MAX_DIR_HEADER_COUNT) throw bad(`header count ${count} above 256`);
    if (header.start >= ctx.inodeTableLength) throw bad(`header inode block ${header.start} outside the inode table`);
    if (entries.length + count > ctx.maxEntries) throw bad(`more than ${ctx.maxEntries} entries`);
    headers.push(header);
    for (let i = 0; i < count; i++) {
      const e = await cur.read(8);
      const offset = u16(e, 0);
      const delta = s16(e, 2);
      const type = u16(e, 4);
      const nameSize = u16(e, 6) + 1;
      if (offset >= METADATA_SIZE) throw bad(`entry inode offset ${offset} not below 8192`);
      if (type < 1 || type > 7) throw bad(`entry type ${type} not in 1..7`);
      if (nameSize > MAX_NAME) throw bad(`name of ${nameSize} bytes`);
      const nameBytes = (await cur.read(nameSize)).slice();
      if (!nameIsValid(nameBytes)) throw bad(`invalid name ${JSON.stringify(utf8(nameBytes))}`);
      const inodeNumber = header.inodeNumber + delta;
      if (inodeNumber < 1 || inodeNumber > ctx.inodes) throw bad(`entry inode number ${inodeNumber} not in 1..${ctx.inodes}`);
      const name = utf8(nameBytes);
      // Duplicate names make path lookup ambiguous (unsquashfs rejects them too).
      if (names.has(name)) throw bad(`duplicate name ${JSON.stringify(name)}`);
      names.add(name);
      entries.push({ name, nameBytes, inodeRef: header.start * 65536 + offset, inodeNumber, type });
      consumed += 8 + nameSize;
    }
  }
  return { entries, headers, consumed };
}
