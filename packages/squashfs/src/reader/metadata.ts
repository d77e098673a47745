import type { Decompressor } from '../compress/codec.js';
import type { ImageSource } from '../io/sink.js';
import { corrupt, type Structure } from './corrupt.js';
import { u16 } from './bytes.js';
import { METADATA_SIZE, META_UNCOMPRESSED_BIT } from './constants.js';
import { decompressBlock } from './decompress.js';
import { readExact } from './source.js';

export interface MetaBlock {
  /** Decompressed contents (1..8192 bytes). */
  data: Uint8Array;
  /** Absolute position of the next block (this block's end). */
  next: number;
  /** On-disk length without the 2-byte header. */
  diskLength: number;
  compressed: boolean;
}

/** Reads and caches metadata blocks (u16 header + payload), with every bound checked. */
export class MetadataReader {
  private readonly cache = new Map<number, MetaBlock>();
  /** Counts blocks actually decompressed (for verify statistics). */
  blocksRead = 0;

  private readonly source: ImageSource;
  private readonly decompressor: Decompressor;
  private readonly bytesUsed: number;
  private readonly cacheSize: number;

  constructor(source: ImageSource, decompressor: Decompressor, bytesUsed: number, cacheSize: number) {
    this.source = source;
    this.decompressor = decompressor;
    this.bytesUsed = bytesUsed;
    this.cacheSize = cacheSize;
  }

  /** The block whose header is at `position`; it must end at or before `end`. */
  async block(position: number, end: number, structure: Structure): Promise<MetaBlock> {
    const hit = this.cache.get(position);
    if (hit !== undefined) {
      if (hit.next > end) throw corrupt(structure, position, `metadata block runs past the end of the table (${end})`);
      this.cache.delete(position);
      this.cache.set(position, hit);
      return hit;
    }
    if (position + 2 > end) throw corrupt(structure, position, `metadata block header past the end of the table (${end})`);
    const header = u16(await readExact(this.source, position, 2, this.bytesUsed, structure), 0);
    const length = header & ~META_UNCOMPRESSED_BIT & 0xffff;
    const compressed = (header & META_UNCOMPRESSED_BIT) === 0;
    if (length === 0 || length > METADATA_SIZE) throw corrupt(structure, position, `metadata block length ${length} not in 1..8192`);
    if (position + 2 + length > end) throw corrupt(structure, position, `metadata block of ${length} bytes runs past the end of the table (${end})`);
    const raw = await readExact(this.source, position + 2, length, this.bytesUsed, structure);
    const data = compressed ? decompressBlock(this.decompressor, raw, METADATA_SIZE, structure, position) : raw.slice();
    if (data.length === 0) throw corrupt(structure, position, 'metadata block decompresses to 0 bytes');
    const block: MetaBlock = { data, next: position + 2 + length, diskLength: length, compressed };
    this.blocksRead++;
    this.cache.set(position, block);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as number);
    return block;
  }
}

/**
 * A position in a metadata table: (block position relative to the table start, offset inside
 * the decompressed block). Reads follow entries across block boundaries.
 */
export class MetaCursor {
  /** Absolute position of the current block header. */
  private position: number;
  private offset: number;

  private readonly reader: MetadataReader;
  private readonly structure: Structure;
  private readonly tableStart: number;
  private readonly tableEnd: number;
  /** The block at `position` once fetched (reads inside it need not go through the reader). */
  private current: MetaBlock | undefined;
  private currentAt = -1;

  constructor(reader: MetadataReader, structure: Structure, tableStart: number, tableEnd: number, block: number, offset: number) {
    this.reader = reader;
    this.structure = structure;
    this.tableStart = tableStart;
    this.tableEnd = tableEnd;
    this.position = tableStart + block;
    this.offset = offset;
    if (!Number.isSafeInteger(this.position) || block < 0 || this.position >= tableEnd) {
      throw corrupt(structure, tableStart, `reference to block ${block} outside the table (${tableEnd - tableStart} bytes)`);
    }
    if (offset < 0 || offset >= METADATA_SIZE) throw corrupt(structure, this.position, `offset ${offset} inside a metadata block is not below 8192`);
  }

  /** Current position: block relative to the table start, and offset in it. */
  get block(): number {
    return this.position - this.tableStart;
  }

  get blockOffset(): number {
    return this.offset;
  }

  /** Moves to the next block if the current one is used up; returns false at the end of the table. */
  async normalize(): Promise<boolean> {
    for (;;) {
      if (this.position >= this.tableEnd) return false;
      const blk = await this.fetch();
      if (this.offset > blk.data.length) {
        throw corrupt(this.structure, this.position, `offset ${this.offset} past the end of a ${blk.data.length}-byte metadata block`);
      }
      if (this.offset < blk.data.length) return true;
      this.position = blk.next;
      this.offset = 0;
    }
  }

  /** Reads exactly `n` bytes (n ≤ 65536 + a little): the result may alias the cache, do not modify it. */
  async read(n: number): Promise<Uint8Array> {
    if (n === 0) return new Uint8Array(0);
    let blk = this.currentAt === this.position ? this.current! : undefined;
    if (blk === undefined || blk.data.length - this.offset < n) {
      if (!(await this.normalize())) throw corrupt(this.structure, this.position, `${n} bytes needed past the end of the table`);
      blk = await this.fetch();
    }
    if (blk.data.length - this.offset >= n) {
      const out = blk.data.subarray(this.offset, this.offset + n);
      this.offset += n;
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (!(await this.normalize())) throw corrupt(this.structure, this.position, `${n} bytes needed past the end of the table`);
      blk = await this.fetch();
      const take = Math.min(n - filled, blk.data.length - this.offset);
      out.set(blk.data.subarray(this.offset, this.offset + take), filled);
      filled += take;
      this.offset += take;
    }
    return out;
  }

  /** The block at `position`, from the reader (bounds-checked, cached there) unless it is the current one. */
  private async fetch(): Promise<MetaBlock> {
    if (this.currentAt === this.position) return this.current!;
    const blk = await this.reader.block(this.position, this.tableEnd, this.structure);
    this.current = blk;
    this.currentAt = this.position;
    return blk;
  }
}
