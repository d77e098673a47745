import { MetadataWriter, type MetadataCompressor, type MetadataCompressorAsync, type MetadataTable } from '../metadata/metadata-writer.js';
import { LeReader, LeWriter } from './le.js';

/** A lookup table laid out at `start`: its metadata blocks, then the u64 index array the superblock points at. */
export interface LookupTable {
  chunks: Uint8Array[];
  /** Absolute position of the index array (the superblock field). */
  indexStart: number;
  /** Absolute end of the index array. */
  end: number;
  /** Absolute positions of the metadata blocks. */
  blockPositions: number[];
}

/**
 * Packs `entries` (fixed-size records, already encoded back to back) into 8 KiB metadata blocks
 * placed at `start`, immediately followed by the index array, as the kernel requires.
 */
export function buildLookupTable(entries: Uint8Array, compress: MetadataCompressor, start: number): LookupTable {
  const mw = new MetadataWriter(compress);
  mw.write(entries);
  return placeLookupTable(mw.finish(), start);
}

/**
 * The metadata blocks of a lookup table, compressed in the background (all at once) by
 * `compressAsync`; {@link placeLookupTable} then lays them out where the table goes.
 */
export function lookupTableBlocks(entries: Uint8Array, compressAsync: MetadataCompressorAsync): Promise<MetadataTable> {
  const mw = new MetadataWriter({ background: compressAsync });
  mw.write(entries);
  return mw.finishAsync();
}

/** A lookup table's blocks placed at `start`, followed by the index array pointing at each. */
export function placeLookupTable(table: MetadataTable, start: number): LookupTable {
  const indexStart = start + table.size;
  const index = new LeWriter(table.blockStarts.length * 8);
  const blockPositions = table.blockStarts.map((b) => start + b);
  for (const p of blockPositions) index.u64(p, 'lookup table index');
  const indexBytes = index.finish();
  return { chunks: [...table.chunks, indexBytes], indexStart, end: indexStart + indexBytes.length, blockPositions };
}

/** Reads `count` u64 pointers of a lookup index (for golden tests). */
export function decodeLookupIndex(bytes: Uint8Array, offset: number, count: number): number[] {
  const r = new LeReader(bytes, offset);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(r.u64n());
  return out;
}

/** Number of metadata blocks a table of `count` entries of `entrySize` bytes needs. */
export function lookupBlockCount(count: number, entrySize: number): number {
  return Math.ceil((count * entrySize) / 8192);
}
