import type { Codec } from '../compress/codec.js';
import { SQUASHFS_DATA_UNCOMPRESSED } from '../format/constants.js';
import type { FragmentEntry } from '../format/fragment-table.js';
import { allocUninitialized } from './alloc.js';
import type { BlockQueue } from './block-queue.js';

/** Fragment buffers kept for reuse (each block in flight holds one until it is written). */
const SPARE_BUFFERS = 8;

/**
 * Packs small files and tail ends into fragment blocks of `blockSize`, in the order they come.
 * A full fragment block is queued on the shared {@link BlockQueue} (compressed in the background,
 * written in order); its table entry is filled in when it is written.
 *
 * A block's buffer is reused for a later block once the block was written compressed (its
 * compression is over and the sink holds the compressed bytes, not the buffer): fresh memory for
 * every block costs a page fault per 4 KiB, ~30,000 of them for 100 MiB of small files.
 */
export class FragmentPacker {
  readonly entries: FragmentEntry[] = [];
  private buf: Uint8Array;
  private fill = 0;
  private readonly spare: Uint8Array[] = [];

  private readonly blockSize: number;
  private readonly codec: Codec;
  private readonly queue: BlockQueue;

  constructor(blockSize: number, codec: Codec, queue: BlockQueue) {
    this.blockSize = blockSize;
    this.codec = codec;
    this.queue = queue;
    this.buf = allocUninitialized(blockSize);
  }

  /** Copies `tail` into the current fragment block; returns its fragment index and offset. */
  async add(tail: Uint8Array): Promise<{ fragment: number; offset: number }> {
    if (!this.fits(tail)) await this.flush();
    return this.addNow(tail);
  }

  /** True when `tail` goes into the current fragment block without a flush (addNow is allowed). */
  fits(tail: Uint8Array): boolean {
    if (tail.length === 0 || tail.length >= this.blockSize) throw new RangeError(`fragment of ${tail.length} bytes`);
    return this.fill + tail.length <= this.blockSize;
  }

  /** {@link add} for a `tail` that {@link fits}. */
  addNow(tail: Uint8Array): { fragment: number; offset: number } {
    if (!this.fits(tail)) throw new RangeError('fragment block full: flush first');
    const offset = this.fill;
    this.buf.set(tail, offset);
    this.fill += tail.length;
    return { fragment: this.entries.length, offset };
  }

  /** Queues the pending fragment block, if any (written by the queue's next drain). */
  async flush(): Promise<void> {
    if (this.fill === 0) return;
    const full = this.buf;
    const raw = full.subarray(0, this.fill);
    const entry: FragmentEntry = { start: 0, size: 0 };
    this.entries.push(entry);
    this.buf = this.spare.pop() ?? allocUninitialized(this.blockSize);
    this.fill = 0;
    await this.queue.push({
      raw,
      compressed: this.codec.compress(raw),
      placed: (position, word) => {
        entry.start = position;
        entry.size = word;
        // Stored raw, the buffer itself may still be waiting to be written: not reused then.
        if ((word & SQUASHFS_DATA_UNCOMPRESSED) === 0 && this.spare.length < SPARE_BUFFERS) this.spare.push(full);
      },
      what: 'a fragment block',
    });
  }

  /** Bytes waiting in the current fragment block. */
  get pending(): number {
    return this.fill;
  }
}
