import type { Codec } from '../compress/codec.js';
import type { FragmentEntry } from '../format/fragment-table.js';
import { allocUninitialized } from './alloc.js';
import type { BlockQueue } from './block-queue.js';

/**
 * Packs small files and tail ends into fragment blocks of `blockSize`, in the order they come.
 * A full fragment block is queued on the shared {@link BlockQueue} (compressed in the background,
 * written in order); its table entry is filled in when it is written.
 */
export class FragmentPacker {
  readonly entries: FragmentEntry[] = [];
  private buf: Uint8Array;
  private fill = 0;

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
    const raw = this.buf.subarray(0, this.fill);
    const entry: FragmentEntry = { start: 0, size: 0 };
    this.entries.push(entry);
    this.buf = allocUninitialized(this.blockSize);
    this.fill = 0;
    await this.queue.push({
      raw,
      compressed: this.codec.compress(raw),
      placed: (position, word) => {
        entry.start = position;
        entry.size = word;
      },
      what: 'a fragment block',
    });
  }

  /** Bytes waiting in the current fragment block. */
  get pending(): number {
    return this.fill;
  }
}
