import type { ImageSource } from '../io/sink.js';
import { corrupt, type Structure } from './corrupt.js';
import { u32, u64 } from './bytes.js';
import { METADATA_MAX_ON_DISK, METADATA_SIZE, indexBytes } from './constants.js';
import type { MetadataReader } from './metadata.js';
import { readExact } from './source.js';
import type { Superblock } from './superblock.js';

/**
 * A lookup table (id, fragment, export, xattr id): fixed-size entries packed in metadata blocks,
 * located through an uncompressed array of u64 block positions (the index).
 */
export class LookupTable {
  readonly structure: Structure;
  readonly count: number;
  readonly entrySize: number;
  /** Absolute positions of the metadata blocks. */
  readonly pointers: readonly number[];
  /** Position of the index array. */
  readonly indexStart: number;
  /** Where the last metadata block must end (the index array, or the xattr id header before it). */
  readonly blocksEnd: number;
  private readonly meta: MetadataReader;

  constructor(structure: Structure, count: number, entrySize: number, pointers: readonly number[], indexStart: number, blocksEnd: number, meta: MetadataReader) {
    this.blocksEnd = blocksEnd;
    this.structure = structure;
    this.count = count;
    this.entrySize = entrySize;
    this.pointers = pointers;
    this.indexStart = indexStart;
    this.meta = meta;
  }

  /** Bytes the decompressed block `i` must hold: 8192 except the last. */
  expectedBlockSize(i: number): number {
    const total = this.count * this.entrySize;
    return i < this.pointers.length - 1 ? METADATA_SIZE : total - i * METADATA_SIZE;
  }

  async blockData(i: number): Promise<Uint8Array> {
    const position = this.pointers[i]!;
    const end = i + 1 < this.pointers.length ? this.pointers[i + 1]! : this.blocksEnd;
    const blk = await this.meta.block(position, end, this.structure);
    const expected = this.expectedBlockSize(i);
    if (blk.data.length !== expected) {
      throw corrupt(this.structure, position, `table block ${i} holds ${blk.data.length} bytes, expected ${expected}`);
    }
    if (blk.next !== end) throw corrupt(this.structure, position, `table block ${i} ends at ${blk.next}, the next starts at ${end}`);
    return blk.data;
  }

  /** Entry `i` (entrySize bytes; entries never straddle blocks since sizes divide 8192). */
  async entry(i: number): Promise<Uint8Array> {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw corrupt(this.structure, this.indexStart, `entry ${i} out of range (count ${this.count})`);
    const byte = i * this.entrySize;
    const data = await this.blockData(Math.floor(byte / METADATA_SIZE));
    const off = byte % METADATA_SIZE;
    return data.subarray(off, off + this.entrySize);
  }
}

/**
 * Reads an index array of `count` entries of `entrySize` at `start` and checks it the way the
 * kernel does: pointers strictly increasing, each block at most 8194 bytes, the last block
 * ending within 8194 bytes before the array, nothing below `lowest`.
 */
export async function readLookupTable(
  source: ImageSource,
  meta: MetadataReader,
  structure: Structure,
  start: number,
  count: number,
  entrySize: number,
  bytesUsed: number,
  lowest: number,
  blocksEnd = start,
): Promise<LookupTable> {
  const len = indexBytes(count, entrySize);
  if (start + len > bytesUsed) throw corrupt(structure, start, `index of ${count} entries (${len} bytes) runs past bytes_used ${bytesUsed}`);
  const raw = await readExact(source, start, len, bytesUsed, structure);
  const pointers: number[] = [];
  for (let i = 0; i < len / 8; i++) {
    const p = u64(raw, i * 8);
    const limit = i === 0 ? lowest : pointers[i - 1]! + 1;
    if (!(p >= limit && p < blocksEnd)) throw corrupt(structure, start + i * 8, `index pointer ${i} (${p}) out of order or outside ${limit}..${start}`);
    if (i > 0 && p - pointers[i - 1]! > METADATA_MAX_ON_DISK) throw corrupt(structure, start + i * 8, `metadata block ${i - 1} longer than 8194 bytes`);
    pointers.push(p);
  }
  if (pointers.length > 0 && blocksEnd - pointers[pointers.length - 1]! > METADATA_MAX_ON_DISK) {
    throw corrupt(structure, start, 'last metadata block longer than 8194 bytes');
  }
  return new LookupTable(structure, count, entrySize, pointers, start, blocksEnd, meta);
}

/** Where each table lives; computed backwards from bytes_used as the kernel does (super.c). */
export interface Layout {
  inodeTable: { start: number; end: number };
  directoryTable: { start: number; end: number };
  ids: LookupTable;
  fragments: LookupTable | null;
  exports: LookupTable | null;
  xattr: { kvStart: number; kvEnd: number; ids: LookupTable; headerStart: number } | null;
  /** Lowest position a table may start at (after the superblock and compressor options). */
  dataStart: number;
}

export async function readLayout(source: ImageSource, meta: MetadataReader, sb: Superblock, dataStart: number): Promise<Layout> {
  const used = sb.bytesUsed;
  const lowest = sb.directoryTableStart;
  let next = used;
  let xattr: Layout['xattr'] = null;
  if (sb.xattrIdTableStart !== null) {
    const start = sb.xattrIdTableStart;
    const header = await readExact(source, start, 16, used, 'xattr table');
    const kvStart = u64(header, 0);
    const count = u32(header, 8);
    if (count === 0) throw corrupt('xattr table', start + 8, 'xattr id table present with 0 ids');
    const len = indexBytes(count, 16);
    if (start + 16 + len !== used) throw corrupt('xattr table', start, `xattr id index (${len} bytes) does not end at bytes_used ${used}`);
    if (!(kvStart >= lowest && kvStart < start)) throw corrupt('xattr table', start, `xattr key/value start ${kvStart} outside ${lowest}..${start}`);
    const ids = await readLookupTable(source, meta, 'xattr table', start + 16, count, 16, used, kvStart, start);
    xattr = { kvStart, kvEnd: ids.pointers[0]!, ids, headerStart: start };
    next = kvStart;
  }
  const idLen = indexBytes(sb.noIds, 4);
  if (sb.idTableStart + idLen !== next) {
    throw corrupt('id table', sb.idTableStart, `id index (${idLen} bytes for ${sb.noIds} ids) does not end where the next table starts (${next})`);
  }
  const ids = await readLookupTable(source, meta, 'id table', sb.idTableStart, sb.noIds, 4, used, lowest);
  next = ids.pointers[0]!;
  let exports: LookupTable | null = null;
  if (sb.lookupTableStart !== null) {
    const len = indexBytes(sb.inodes, 8);
    if (sb.lookupTableStart + len !== next) {
      throw corrupt('export table', sb.lookupTableStart, `export index (${len} bytes for ${sb.inodes} inodes) does not end where the next table starts (${next})`);
    }
    exports = await readLookupTable(source, meta, 'export table', sb.lookupTableStart, sb.inodes, 8, used, lowest);
    next = exports.pointers[0]!;
  }
  let fragments: LookupTable | null = null;
  if (sb.fragments > 0) {
    const start = sb.fragmentTableStart!;
    const len = indexBytes(sb.fragments, 16);
    if (start + len > next) throw corrupt('fragment table', start, `fragment index (${len} bytes for ${sb.fragments} fragments) overlaps the next table (${next})`);
    fragments = await readLookupTable(source, meta, 'fragment table', start, sb.fragments, 16, used, lowest);
    next = fragments.pointers[0]!;
  }
  if (sb.directoryTableStart > next) throw corrupt('directory table', sb.directoryTableStart, `directory table starts after the next table (${next})`);
  if (sb.inodeTableStart < dataStart) throw corrupt('inode table', sb.inodeTableStart, `inode table starts inside the superblock or compressor options (${dataStart})`);
  return {
    inodeTable: { start: sb.inodeTableStart, end: sb.directoryTableStart },
    directoryTable: { start: sb.directoryTableStart, end: next },
    ids,
    fragments,
    exports,
    xattr,
    dataStart,
  };
}
