import type { Codec } from '../compress/codec.js';
import { SquashfsError } from '../errors.js';
import { SQUASHFS_DATA_UNCOMPRESSED, SQUASHFS_INVALID_FRAG } from '../format/constants.js';
import type { FileContent } from '../tree/node.js';
import { describe, type SinkCursor } from './block-writer.js';
import { DedupIndex } from './dedup.js';
import type { FragmentPacker } from './fragment-packer.js';
import type { Hasher } from './sha256.js';
import { isAllZero } from './zero.js';

/** Where a file's data ended up: what its inode needs. */
export interface FilePlacement {
  size: number;
  /** Absolute position of the first data block (0 when the file has no blocks). */
  startBlock: number;
  /** Block-list words: on-disk size, bit 24 = uncompressed, 0 = sparse. */
  blocks: number[];
  fragment: number;
  offset: number;
  /** Bytes covered by sparse (size 0) blocks. */
  sparse: number;
}

export interface FileWriterOptions {
  blockSize: number;
  codec: Codec;
  cursor: SinkCursor;
  packer: FragmentPacker | null;
  /** Pack tail ends of files with at least one full block into fragments too. */
  tailEnds: boolean;
  /** Blocks in flight at once. */
  window: number;
  hasher: (() => Hasher) | null;
  signal?: AbortSignal;
}

interface Pending {
  block: Uint8Array;
  /** null for a sparse block. */
  compressed: Promise<Uint8Array | null> | null;
}

const noop = (): void => {};
/** Tags of the dedup hash encoding: each full block is tagged zero/data, the tail is tagged. */
const TAG_ZERO = new Uint8Array([0]);
const TAG_DATA = new Uint8Array([1]);
const TAG_TAIL = new Uint8Array([2]);

export function abortError(signal: AbortSignal): SquashfsError {
  return new SquashfsError('ABORTED', 'writing the image was aborted', { cause: signal.reason });
}

/**
 * Streams file contents into data blocks: cuts them into blocks, detects sparse blocks, compresses
 * up to `window` blocks at once and writes the results strictly in order, hashes the content for
 * deduplication, and hands tails to the fragment packer.
 */
export class FileWriter {
  readonly dedup = new DedupIndex();
  duplicates = 0;
  sparseBlocks = 0;
  bytesIn = 0;

  private readonly o: FileWriterOptions;

  constructor(options: FileWriterOptions) {
    this.o = options;
  }

  async write(content: FileContent, path: string): Promise<FilePlacement & { duplicate: boolean }> {
    const { blockSize, codec, cursor, signal } = this.o;
    const declared = content.size;
    const hasher = this.o.hasher?.() ?? null;
    const start = cursor.pos;
    const blocks: number[] = [];
    const queue: Pending[] = [];
    let sparse = 0;
    let total = 0;
    let partial: Uint8Array | null = null;
    let fill = 0;

    const drainOne = async (): Promise<void> => {
      const p = queue.shift()!;
      if (p.compressed === null) {
        blocks.push(0);
        sparse += p.block.length;
        this.sparseBlocks++;
        return;
      }
      let packed: Uint8Array | null;
      try {
        packed = await p.compressed;
      } catch (cause) {
        if (cause instanceof SquashfsError) throw cause;
        throw new SquashfsError('IO', `compressing a block of ${path} failed: ${describe(cause)}`, { path, cause });
      }
      const useRaw = packed === null || packed.length >= p.block.length;
      const data = useRaw ? p.block : packed!;
      await cursor.append(data);
      blocks.push(data.length | (useRaw ? SQUASHFS_DATA_UNCOMPRESSED : 0));
    };

    /** Queues one block; `hash` is false for the tail, which was hashed (tagged) already. */
    const emit = async (block: Uint8Array, hash = true): Promise<void> => {
      const h = hash ? hasher : null;
      if (isAllZero(block)) {
        // A sparse block is hashed as a tag only: the encoding stays injective for a given
        // size (all blocks but the tail are full), and huge sparse files hash in no time.
        h?.update(TAG_ZERO);
        queue.push({ block, compressed: null });
      } else {
        h?.update(TAG_DATA);
        h?.update(block);
        const compressed = codec.compress(block);
        compressed.catch(noop);
        queue.push({ block, compressed });
      }
      while (queue.length >= this.o.window) await drainOne();
    };

    let source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
    try {
      source = content.open();
    } catch (cause) {
      if (cause instanceof SquashfsError) throw withPath(cause, path);
      throw new SquashfsError('IO', `cannot open ${path}: ${describe(cause)}`, { path, cause });
    }
    const iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array> =
      source !== null && typeof source === 'object' && Symbol.asyncIterator in source
        ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
        : (source as Iterable<Uint8Array>)[Symbol.iterator]();
    let finished = false;
    try {
      for (;;) {
        if (signal?.aborted) throw abortError(signal);
        let step: IteratorResult<Uint8Array>;
        try {
          step = await iterator.next();
        } catch (cause) {
          if (cause instanceof SquashfsError) throw withPath(cause, path);
          throw new SquashfsError('IO', `reading ${path} failed: ${describe(cause)}`, { path, cause });
        }
        if (step.done) {
          finished = true;
          break;
        }
        const chunk = step.value;
        if (!(chunk instanceof Uint8Array)) {
          throw new SquashfsError('INVALID_ARGUMENT', `the content of ${path} yielded a ${typeof chunk}, not a Uint8Array`, { path });
        }
        total += chunk.length;
        if (declared !== undefined && total > declared) {
          throw new SquashfsError('SIZE_MISMATCH', `${path}: the source gave more than the declared ${declared} bytes (did the file grow while being read?)`, { path });
        }
        let off = 0;
        while (off < chunk.length) {
          if (fill === 0 && chunk.length - off >= blockSize) {
            await emit(chunk.subarray(off, off + blockSize));
            off += blockSize;
            continue;
          }
          partial ??= new Uint8Array(blockSize);
          const n = Math.min(blockSize - fill, chunk.length - off);
          partial.set(chunk.subarray(off, off + n), fill);
          fill += n;
          off += n;
          if (fill === blockSize) {
            await emit(partial);
            partial = null;
            fill = 0;
          }
        }
      }
    } finally {
      if (!finished) {
        try {
          await iterator.return?.();
        } catch {
          // the original error wins
        }
      }
    }
    this.bytesIn += total;
    if (declared !== undefined && total !== declared) {
      throw new SquashfsError('SIZE_MISMATCH', `${path}: the source gave ${total} bytes but ${declared} were declared (did the file shrink while being read?)`, { path });
    }
    if (total === 0) {
      return { size: 0, startBlock: 0, blocks: [], fragment: SQUASHFS_INVALID_FRAG, offset: 0, sparse: 0, duplicate: false };
    }

    // Decide dedup before anything goes into a fragment, so nothing needs undoing.
    const tail = fill > 0 ? partial!.subarray(0, fill) : null;
    let key: string | undefined;
    if (hasher !== null) {
      if (tail !== null) {
        hasher.update(TAG_TAIL);
        hasher.update(tail);
      }
      key = DedupIndex.key(hasher.digest(), total);
      const earlier = this.dedup.get(key);
      if (earlier !== undefined) {
        queue.length = 0; // in-flight compressions are dropped (their rejections are already handled)
        cursor.rewind(start);
        this.duplicates++;
        return { ...earlier, duplicate: true };
      }
    }

    const packer = this.o.packer;
    const tailInFragment = tail !== null && packer !== null && (blocks.length + queue.length === 0 || this.o.tailEnds);
    if (tail !== null && !tailInFragment) await emit(tail, false);
    while (queue.length > 0) await drainOne();
    let fragment = SQUASHFS_INVALID_FRAG;
    let offset = 0;
    if (tailInFragment) ({ fragment, offset } = await packer!.add(tail!));
    const placement: FilePlacement = { size: total, startBlock: blocks.length > 0 ? start : 0, blocks, fragment, offset, sparse };
    if (key !== undefined) this.dedup.set(key, placement);
    return { ...placement, duplicate: false };
  }
}

function withPath(e: SquashfsError, path: string): SquashfsError {
  if (e.path !== undefined) return e;
  return new SquashfsError(e.code, `${path}: ${e.message}`, { path, cause: e });
}
