import { SquashfsError } from '../errors.js';
import { SQUASHFS_DATA_UNCOMPRESSED } from '../format/constants.js';
import { describe, type SinkCursor } from './block-writer.js';

/**
 * A block waiting for its compression and its turn to be written. `compressed` is null for a
 * sparse block (nothing is written, the block word is 0).
 */
export interface QueuedBlock {
  raw: Uint8Array;
  compressed: Promise<Uint8Array | null> | null;
  /** Called in image order with the absolute position and the block word (size | uncompressed bit, 0 = sparse). */
  placed: (position: number, word: number) => void;
  /** For error messages: "a block of /usr/bin/x", "a fragment block". */
  what: string;
  path?: string;
}

/**
 * The ordered write stage shared by every file and fragment block: blocks are compressed as soon
 * as they are queued (up to `window` in flight, across file boundaries) and written strictly in
 * queue order, so the image does not depend on how the compressions were scheduled.
 *
 * The queue only moves when the producer asks (`push` when full, `drainAll`): there is no
 * background writer, so the blocks at the end of the queue can still be dropped (`dropLast`,
 * deduplicated files) and the cursor moved back over the ones already written.
 */
export class BlockQueue {
  private readonly items: QueuedBlock[] = [];
  private head = 0;
  private readonly cursor: SinkCursor;
  private readonly window: number;

  constructor(cursor: SinkCursor, window: number) {
    this.cursor = cursor;
    this.window = Math.max(1, window);
  }

  /** Blocks queued and not yet written. */
  get length(): number {
    return this.items.length - this.head;
  }

  async push(block: QueuedBlock): Promise<void> {
    block.compressed?.catch(noop); // rejections surface when the block's turn comes
    this.items.push(block);
    while (this.length >= this.window) await this.drainOne();
  }

  /** Forgets the last `n` queued blocks (their compressions finish unobserved). */
  dropLast(n: number): void {
    if (n > this.length) throw new RangeError('dropLast beyond the queue');
    this.items.length -= n;
  }

  async drainAll(): Promise<void> {
    while (this.length > 0) await this.drainOne();
  }

  private async drainOne(): Promise<void> {
    const b = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as QueuedBlock;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    if (b.compressed === null) {
      b.placed(this.cursor.pos, 0);
      return;
    }
    let packed: Uint8Array | null;
    try {
      packed = await b.compressed;
    } catch (cause) {
      if (cause instanceof SquashfsError) throw cause;
      throw new SquashfsError('IO', `compressing ${b.what} failed: ${describe(cause)}`, { ...(b.path === undefined ? {} : { path: b.path }), cause });
    }
    const useRaw = packed === null || packed.length >= b.raw.length;
    const data = useRaw ? b.raw : packed!;
    const at = await this.cursor.append(data);
    b.placed(at, data.length | (useRaw ? SQUASHFS_DATA_UNCOMPRESSED : 0));
  }
}

const noop = (): void => {};
