import { SquashfsError } from '../errors.js';
import { SQUASHFS_DIR_COUNT, SQUASHFS_METADATA_SIZE, SQUASHFS_NAME_LEN } from './constants.js';
import type { DirIndexEntry } from './inode.js';
import { LeReader, LeWriter } from './le.js';

/** Size of a directory header {u32 count-1, u32 start, u32 inode_number}. */
export const DIR_HEADER_SIZE = 12;
/** Size of an entry before its name {u16 offset, s16 delta, u16 type, u16 size-1}. */
export const DIR_ENTRY_SIZE = 8;

export interface DirHeader {
  count: number;
  startBlock: number;
  inodeNumber: number;
}

export interface DirEntry {
  offset: number;
  inodeDelta: number;
  type: number;
  name: Uint8Array;
}

export function encodeDirHeader(h: DirHeader): Uint8Array {
  return putDirHeader(new LeWriter(DIR_HEADER_SIZE), h.count, h.startBlock, h.inodeNumber).finish();
}

export function encodeDirEntry(e: DirEntry): Uint8Array {
  return putDirEntry(new LeWriter(DIR_ENTRY_SIZE + e.name.length), e.offset, e.inodeDelta, e.type, e.name).finish();
}

function putDirHeader(w: LeWriter, count: number, startBlock: number, inodeNumber: number): LeWriter {
  if (count < 1 || count > SQUASHFS_DIR_COUNT) {
    throw new SquashfsError('LIMIT_EXCEEDED', `directory header count ${count} not in 1..${SQUASHFS_DIR_COUNT}`, { structure: 'directory header' });
  }
  return w.u32(count - 1).u32(startBlock, 'dir header start').u32(inodeNumber, 'dir header inode');
}

function putDirEntry(w: LeWriter, offset: number, inodeDelta: number, type: number, name: Uint8Array): LeWriter {
  if (name.length < 1 || name.length > SQUASHFS_NAME_LEN) {
    throw new SquashfsError('INVALID_NAME', `directory entry name of ${name.length} bytes not in 1..${SQUASHFS_NAME_LEN}`, { structure: 'directory entry' });
  }
  return w.u16(offset, 'dir entry offset').s16(inodeDelta, 'dir entry inode delta').u16(type, 'dir entry type').u16(name.length - 1).bytes(name);
}

/** A child as the listing needs it: its name bytes, inode reference and number, and basic type 1..7. */
export interface ListingEntry {
  name: Uint8Array;
  /** (inode metadata block << 16) | offset, as a number. */
  inodeRef: number;
  inodeNumber: number;
  type: number;
}

/** Where listing bytes go: a metadata writer. */
export interface ListingOut {
  /**
   * What an index entry records for the block the next byte goes to: its on-disk start (relative
   * to the directory table), or a block number the caller turns into that start later.
   */
  readonly blockStart: number;
  /** Appends `bytes[start, end)`; `bytes` is reused once this returns. */
  write(bytes: Uint8Array, start: number, end: number): void;
}

/** The encoding buffer of {@link writeDirectoryListing}, shared: one listing is written at a time. */
const listingRun = new LeWriter(512);

/**
 * Writes one directory listing (entries already sorted by bytes) as mksquashfs does: a new header
 * when 256 entries are reached, the inode metadata block changes, the inode delta leaves int16, or
 * the listing since the last index point would pass 8 KiB (then an index entry is recorded).
 */
export function writeDirectoryListing(entries: readonly ListingEntry[], out: ListingOut): { size: number; index: DirIndexEntry[] } {
  const index: DirIndexEntry[] = [];
  const run = listingRun; // one header and its entries, written to `out` (which copies) at once
  let pos = 0; // listing-relative position
  let lastIndexPos = 0;
  let i = 0;
  while (i < entries.length) {
    const first = entries[i]!;
    const block = Math.floor(first.inodeRef / 0x1_0000);
    const base = first.inodeNumber;
    if (i > 0 && pos + DIR_ENTRY_SIZE + first.name.length - lastIndexPos > SQUASHFS_METADATA_SIZE) {
      index.push({ index: pos, startBlock: out.blockStart, name: first.name });
      lastIndexPos = pos;
    }
    // Entries for this run.
    let j = i;
    let runBytes = DIR_HEADER_SIZE;
    while (j < entries.length && j - i < SQUASHFS_DIR_COUNT) {
      const e = entries[j]!;
      if (Math.floor(e.inodeRef / 0x1_0000) !== block) break;
      const delta = e.inodeNumber - base;
      if (delta > 32767 || delta < -32768) break;
      if (j > i && pos + runBytes + DIR_ENTRY_SIZE + e.name.length - lastIndexPos > SQUASHFS_METADATA_SIZE) break;
      runBytes += DIR_ENTRY_SIZE + e.name.length;
      j++;
    }
    putDirHeader(run.reset(), j - i, block, base);
    for (let k = i; k < j; k++) {
      const e = entries[k]!;
      putDirEntry(run, e.inodeRef % 0x1_0000, e.inodeNumber - base, e.type, e.name);
    }
    out.write(run.data, 0, run.length);
    pos += runBytes;
    i = j;
  }
  return { size: pos, index };
}

/** Decodes a listing of `size` bytes (the inode's file_size - 3) into entries (for golden tests). */
export function decodeDirectoryListing(
  bytes: Uint8Array,
  offset: number,
  size: number,
): { headers: DirHeader[]; entries: (DirEntry & { inodeNumber: number; startBlock: number })[] } {
  const r = new LeReader(bytes, offset);
  const headers: DirHeader[] = [];
  const entries: (DirEntry & { inodeNumber: number; startBlock: number })[] = [];
  while (r.pos < offset + size) {
    const h = { count: r.u32() + 1, startBlock: r.u32(), inodeNumber: r.u32() };
    headers.push(h);
    for (let k = 0; k < h.count; k++) {
      const off = r.u16();
      const delta = r.s16();
      const type = r.u16();
      const name = r.take(r.u16() + 1);
      entries.push({ offset: off, inodeDelta: delta, type, name, inodeNumber: h.inodeNumber + delta, startBlock: h.startBlock });
    }
  }
  return { headers, entries };
}
