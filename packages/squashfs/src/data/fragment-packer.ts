import type { Codec } from '../compress/codec.js';
import { SQUASHFS_DATA_UNCOMPRESSED } from '../format/constants.js';
import type { FragmentEntry } from '../format/fragment-table.js';
import type { SinkCursor } from './block-writer.js';

/**
 * Packs small files and tail ends into fragment blocks of `blockSize`, in the order they come.
 * A full fragment block is compressed and written at the cursor before the next one starts.
 */
export class FragmentPacker {
  readonly entries: FragmentEntry[] = [];
  private buf: Uint8Array;
  private fill = 0;

  private readonly blockSize: number;
  private readonly codec: Codec;
  private readonly cursor: SinkCursor;

  constructor(blockSize: number, codec: Codec, cursor: SinkCursor) {
    this.blockSize = blockSize;
    this.codec = codec;
    this.cursor = cursor;
    this.buf = new Uint8Array(blockSize);
  }

  /** Copies `tail` into the current fragment block; returns its fragment index and offset. */
  async add(tail: Uint8Array): Promise<{ fragment: number; offset: number }> {
    if (tail.length === 0 || tail.length >= this.blockSize) throw new RangeError(`fragment of ${tail.length} bytes`);
    if (this.fill + tail.length > this.blockSize) await this.flush();
    const offset = this.fill;
    this.buf.set(tail, offset);
    this.fill += tail.length;
    return { fragment: this.entries.length, offset };
  }

  /** Writes the pending fragment block, if any. */
  async flush(): Promise<void> {
    if (this.fill === 0) return;
    const raw = this.buf.subarray(0, this.fill);
    const packed = await this.codec.compress(raw);
    const useRaw = packed === null || packed.length >= raw.length;
    const data = useRaw ? raw : packed;
    const start = await this.cursor.append(data);
    this.entries.push({ start, size: data.length | (useRaw ? SQUASHFS_DATA_UNCOMPRESSED : 0) });
    this.buf = new Uint8Array(this.blockSize);
    this.fill = 0;
  }

  /** Bytes waiting in the current fragment block. */
  get pending(): number {
    return this.fill;
  }
}
