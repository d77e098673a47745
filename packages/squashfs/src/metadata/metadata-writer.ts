import { SQUASHFS_METADATA_SIZE, SQUASHFS_METADATA_UNCOMPRESSED } from '../format/constants.js';

/**
 * Compresses one metadata block, synchronously; null (or a result not smaller) means "store it raw".
 * For tables written one block after the other: a lookup table, or any table whose references are
 * needed while it is written.
 */
export type MetadataCompressor = (block: Uint8Array) => Uint8Array | null;

/**
 * Compresses one metadata block in the background (the codec's `compress`: worker threads): a
 * table's full blocks then compress at the same time, on every core. Same bytes as the
 * synchronous compressor.
 */
export type MetadataCompressorAsync = (block: Uint8Array) => Promise<Uint8Array | null>;

const noop = (): void => {};

/** A finished table: its blocks as stored, its size, and each block's start (relative). */
export interface MetadataTable {
  chunks: Uint8Array[];
  size: number;
  blockStarts: number[];
}

/**
 * Builds a metadata table: a run of blocks of 8 KiB uncompressed (all but the last exactly full),
 * each stored as a u16 header (length | 0x8000 when uncompressed) plus the payload.
 * Positions are relative to the start of the table.
 *
 * With an asynchronous compressor, each block is compressed in the background once it is full,
 * and the on-disk start of a block is known only once every block before it is compressed: a
 * writer records positions as block numbers ({@link block}, {@link blockRef}), calls
 * {@link settle}, and turns them into starts ({@link startOf}, {@link resolve}).
 */
export class MetadataWriter {
  /** Finished blocks as stored (header + payload); undefined while being compressed. */
  private readonly chunks: (Uint8Array | undefined)[] = [];
  /** starts[i]: on-disk start (relative) of block i, for every block up to the first one pending. */
  private readonly starts: number[] = [0];
  /** Compressions in the background, not yet settled. */
  private pending: Promise<void>[] = [];
  /** The block being filled (reused: each finished block is copied into its on-disk chunk). */
  private readonly buf = new Uint8Array(SQUASHFS_METADATA_SIZE);
  private fill = 0;
  private uncompressed = 0;

  private readonly compress: MetadataCompressor | undefined;
  private readonly compressAsync: MetadataCompressorAsync | undefined;

  /** `compress`: a synchronous compressor, or `{ background }` for an asynchronous one. */
  constructor(compress: MetadataCompressor | { background: MetadataCompressorAsync }) {
    if (typeof compress === 'function') this.compress = compress;
    else this.compressAsync = compress.background;
  }

  /** Reference of the next byte: (on-disk block start << 16) | offset in the block. */
  ref(): number {
    return this.resolve(this.blockRef());
  }

  /** On-disk start (relative) of the block the next byte goes to. */
  get blockStart(): number {
    return this.startOf(this.block);
  }

  /** Number of the block the next byte goes to (0 for the first). */
  get block(): number {
    return this.chunks.length;
  }

  /** The next byte as (block number << 16) | offset in the block; {@link resolve} makes it a reference. */
  blockRef(): number {
    return this.block * 0x1_0000 + this.fill;
  }

  get offsetInBlock(): number {
    return this.fill;
  }

  /** Uncompressed bytes written so far. */
  get position(): number {
    return this.uncompressed;
  }

  /**
   * On-disk start (relative) of block `block`: known once every block before it is compressed
   * (always with a synchronous compressor; after {@link settle} with an asynchronous one).
   */
  startOf(block: number): number {
    const start = this.starts[block];
    if (start === undefined) throw new RangeError(`the start of metadata block ${block} is not known yet`);
    return start;
  }

  /** The reference of a {@link blockRef}. */
  resolve(blockRef: number): number {
    return this.startOf(Math.floor(blockRef / 0x1_0000)) * 0x1_0000 + (blockRef % 0x1_0000);
  }

  /** Appends `bytes[start, end)`; `bytes` may be reused by the caller as soon as this returns. */
  write(bytes: Uint8Array, start = 0, end = bytes.length): void {
    let off = start;
    while (off < end) {
      const n = Math.min(end - off, SQUASHFS_METADATA_SIZE - this.fill);
      if (off === 0 && n === bytes.length) this.buf.set(bytes, this.fill);
      else this.buf.set(bytes.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      this.uncompressed += n;
      if (this.fill === SQUASHFS_METADATA_SIZE) this.flush();
    }
  }

  /** Waits for the blocks compressing in the background: every finished block's start is known. */
  async settle(): Promise<void> {
    while (this.pending.length > 0) {
      const pending = this.pending;
      this.pending = [];
      await Promise.all(pending);
    }
    this.advance();
  }

  private flush(): void {
    if (this.fill === 0) return;
    const at = this.chunks.length;
    this.chunks.push(undefined);
    if (this.compress !== undefined) {
      const raw = this.buf.subarray(0, this.fill);
      this.chunks[at] = frame(raw, this.compress(raw));
      this.advance();
    } else {
      const raw = this.buf.slice(0, this.fill);
      const done = this.compressAsync!(raw).then((packed) => {
        this.chunks[at] = frame(raw, packed);
      });
      done.catch(noop); // observed by settle(); an abandoned writer leaves no unhandled rejection
      this.pending.push(done);
    }
    this.fill = 0;
  }

  /** Extends the known starts over the blocks compressed so far, in order. */
  private advance(): void {
    for (let i = this.starts.length - 1; i < this.chunks.length; i++) {
      const chunk = this.chunks[i];
      if (chunk === undefined) return;
      this.starts.push(this.starts[i]! + chunk.length);
    }
  }

  /** Flushes the last (partial) block and returns the on-disk table (synchronous compressor only). */
  finish(): MetadataTable {
    if (this.compress === undefined) throw new Error('finish() of a metadata writer with an asynchronous compressor: use finishAsync()');
    this.flush();
    return this.table();
  }

  /** {@link finish} for either compressor: the last block flushed, every block compressed. */
  async finishAsync(): Promise<MetadataTable> {
    this.flush();
    await this.settle();
    return this.table();
  }

  private table(): MetadataTable {
    const n = this.chunks.length;
    return { chunks: this.chunks as Uint8Array[], size: this.starts[n]!, blockStarts: this.starts.slice(0, n) };
  }
}

/** A block as stored: its u16 header, then the compressed bytes, or the raw ones when not smaller. */
function frame(raw: Uint8Array, packed: Uint8Array | null): Uint8Array {
  const useRaw = packed === null || packed.length >= raw.length;
  const payload = useRaw ? raw : packed;
  const block = new Uint8Array(2 + payload.length);
  const header = payload.length | (useRaw ? SQUASHFS_METADATA_UNCOMPRESSED : 0);
  block[0] = header & 0xff;
  block[1] = header >>> 8;
  block.set(payload, 2);
  return block;
}

/** Splits a table of metadata blocks back into uncompressed bytes (for golden tests). */
export function readMetadataBlocks(
  table: Uint8Array,
  decompress: (data: Uint8Array) => Uint8Array,
): { data: Uint8Array; blocks: { start: number; compressed: boolean; diskLength: number; length: number }[] } {
  const parts: Uint8Array[] = [];
  const blocks: { start: number; compressed: boolean; diskLength: number; length: number }[] = [];
  let pos = 0;
  while (pos < table.length) {
    const header = table[pos]! | (table[pos + 1]! << 8);
    const len = header & 0x7fff;
    const compressed = (header & SQUASHFS_METADATA_UNCOMPRESSED) === 0;
    const payload = table.subarray(pos + 2, pos + 2 + len);
    const data = compressed ? decompress(payload) : payload;
    blocks.push({ start: pos, compressed, diskLength: len + 2, length: data.length });
    parts.push(data);
    pos += 2 + len;
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const data = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return { data, blocks };
}
