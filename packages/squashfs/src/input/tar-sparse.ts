import type { FileContent } from '../tree/node.js';
import { TAR_BLOCK, cString, parseNumeric, tarCorrupt } from './tar-header.js';

/** One stored region of a sparse file: `length` bytes at `offset` of the real file. */
export interface SparseRegion {
  offset: number;
  length: number;
}

/** Reads GNU old-format sparse entries (`count` entries of offset[12] numbytes[12]) from a block. */
export function gnuSparseEntries(block: Uint8Array, at: number, count: number, what: string, offset: number): SparseRegion[] {
  const regions: SparseRegion[] = [];
  for (let i = 0; i < count; i++) {
    const o = parseNumeric(block, at + i * 24, 12);
    const n = parseNumeric(block, at + i * 24 + 12, 12);
    if (o === undefined && n === undefined) break;
    if (o === undefined || n === undefined || Number.isNaN(o) || Number.isNaN(n)) throw tarCorrupt(what, 'invalid GNU sparse map entry', offset);
    regions.push({ offset: o, length: n });
  }
  return regions;
}

/** The GNU old-format header fields: the map in the header, whether extension blocks follow, real size. */
export function gnuSparseHeader(block: Uint8Array, what: string, offset: number): { regions: SparseRegion[]; extended: boolean; realSize: number } {
  const regions = gnuSparseEntries(block, 386, 4, what, offset);
  const realSize = parseNumeric(block, 483, 12);
  if (realSize === undefined || Number.isNaN(realSize)) throw tarCorrupt(what, 'invalid GNU sparse real size', offset);
  return { regions, extended: block[482] !== 0, realSize };
}

/**
 * Parses the PAX 1.0 sparse map at the start of the member data: decimal lines "count", then
 * "offset" and "length" per region, padded to a 512-byte block. Returns the map and its padded length.
 */
export function paxSparseMap(data: Uint8Array, what: string, offset: number): { regions: SparseRegion[]; mapBytes: number } {
  let at = 0;
  const next = (): number => {
    const nl = data.indexOf(0x0a, at);
    if (nl < 0) throw tarCorrupt(what, 'truncated PAX sparse map', offset);
    const text = cString(data.subarray(at, nl), 0, nl - at);
    const s = new TextDecoder().decode(text);
    if (!/^[0-9]+$/.test(s)) throw tarCorrupt(what, `invalid number ${JSON.stringify(s)} in PAX sparse map`, offset);
    at = nl + 1;
    return Number(s);
  };
  const count = next();
  const regions: SparseRegion[] = [];
  for (let i = 0; i < count; i++) regions.push({ offset: next(), length: next() });
  return { regions, mapBytes: Math.ceil(at / TAR_BLOCK) * TAR_BLOCK };
}

/** Checks regions are ordered, non-overlapping, inside the real size, and add up to the stored bytes. */
export function checkSparse(regions: readonly SparseRegion[], realSize: number, stored: number, what: string, offset: number): void {
  let end = 0;
  let total = 0;
  for (const r of regions) {
    if (r.offset < end || r.offset + r.length > realSize) throw tarCorrupt(what, 'sparse map regions overlap or pass the end of the file', offset);
    end = r.offset + r.length;
    total += r.length;
  }
  if (total !== stored) throw tarCorrupt(what, `sparse map describes ${total} bytes but ${stored} are stored`, offset);
}

const ZEROS = new Uint8Array(1 << 16);

/**
 * Content of a sparse file: the stored regions in memory, the holes produced as zeros on the fly
 * (a 1 TiB sparse file costs only its data). Re-readable.
 */
export function sparseContent(regions: readonly SparseRegion[], data: Uint8Array, realSize: number, origin: string): FileContent {
  function* open(): Generator<Uint8Array> {
    let pos = 0;
    let stored = 0;
    const zeros = function* (upTo: number): Generator<Uint8Array> {
      while (pos < upTo) {
        const n = Math.min(ZEROS.length, upTo - pos);
        yield ZEROS.subarray(0, n);
        pos += n;
      }
    };
    for (const r of regions) {
      yield* zeros(r.offset);
      if (r.length > 0) yield data.subarray(stored, stored + r.length);
      stored += r.length;
      pos += r.length;
    }
    yield* zeros(realSize);
  }
  return { size: realSize, open, origin };
}
