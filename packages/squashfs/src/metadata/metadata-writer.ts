import { SQUASHFS_METADATA_SIZE, SQUASHFS_METADATA_UNCOMPRESSED } from '../format/constants.js';

/**
 * Compresses one metadata block, synchronously; null (or a result not smaller) means "store it raw".
 * Synchronous because every reference into a table depends on the compressed sizes before it: the
 * blocks are compressed one after the other anyway (8 KiB each), and a synchronous writer lets the
 * inode and directory writers run without a promise per record.
 */
export type MetadataCompressor = (block: Uint8Array) => Uint8Array | null;

/**
 * Builds a metadata table: a run of blocks of 8 KiB uncompressed (all but the last exactly full),
 * each stored as a u16 header (length | 0x8000 when uncompressed) plus the payload.
 * Positions are relative to the start of the table.
 */
export class MetadataWriter {
  private readonly chunks: Uint8Array[] = [];
  /** On-disk start (relative) of every finished block, in order. */
  readonly blockStarts: number[] = [];
  /** The block being filled (reused: each finished block is copied into its on-disk chunk). */
  private readonly buf = new Uint8Array(SQUASHFS_METADATA_SIZE);
  private fill = 0;
  private disk = 0;
  private uncompressed = 0;

  private readonly compress: MetadataCompressor;

  constructor(compress: MetadataCompressor) {
    this.compress = compress;
  }

  /** Reference of the next byte: (on-disk block start << 16) | offset in the block. */
  ref(): number {
    return this.disk * 0x1_0000 + this.fill;
  }

  /** On-disk start (relative) of the block the next byte goes to. */
  get blockStart(): number {
    return this.disk;
  }

  get offsetInBlock(): number {
    return this.fill;
  }

  /** Uncompressed bytes written so far. */
  get position(): number {
    return this.uncompressed;
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

  private flush(): void {
    if (this.fill === 0) return;
    const raw = this.buf.subarray(0, this.fill);
    const packed = this.compress(raw);
    const useRaw = packed === null || packed.length >= raw.length;
    const payload = useRaw ? raw : packed;
    const block = new Uint8Array(2 + payload.length);
    const header = payload.length | (useRaw ? SQUASHFS_METADATA_UNCOMPRESSED : 0);
    block[0] = header & 0xff;
    block[1] = header >>> 8;
    block.set(payload, 2);
    this.chunks.push(block);
    this.blockStarts.push(this.disk);
    this.disk += block.length;
    this.fill = 0;
  }

  /** Flushes the last (partial) block and returns the on-disk table. */
  finish(): { chunks: Uint8Array[]; size: number; blockStarts: number[] } {
    this.flush();
    return { chunks: this.chunks, size: this.disk, blockStarts: this.blockStarts };
  }
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
