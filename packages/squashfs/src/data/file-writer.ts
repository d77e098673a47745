import type { Codec } from '../compress/codec.js';
import { allocUninitialized } from './alloc.js';
import { SquashfsError } from '../errors.js';
import { SQUASHFS_INVALID_FRAG } from '../format/constants.js';
import type { FileContent } from '../tree/node.js';
import { describe, type SinkCursor } from './block-writer.js';
import type { BlockQueue } from './block-queue.js';
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
  /**
   * How many block words the file has: `blocks` (and `startBlock`) are complete once that many
   * were written, which may be after {@link FileWriter.write} returned (the queue writes them).
   */
  blockCount: number;
}

export interface FileWriterOptions {
  blockSize: number;
  codec: Codec;
  cursor: SinkCursor;
  packer: FragmentPacker | null;
  /** Pack tail ends of files with at least one full block into fragments too. */
  tailEnds: boolean;
  /** The ordered write stage (blocks in flight across files). */
  queue: BlockQueue;
  hasher: (() => Hasher) | null;
  /**
   * One-shot SHA-256 (hex) giving the same digests as `hasher`, used for files smaller than a block
   * read with `readInto`; null: `hasher` is used for those too.
   */
  digestHex?: ((bytes: Uint8Array) => string) | null;
  signal?: AbortSignal;
}

const noop = (): void => {};

/**
 * What the dedup hash of a file with all-zero (sparse) blocks ends with, after the bytes of its
 * other blocks: the zero blocks' indices (u32 LE each), their count and "ZERO". A file without
 * zero blocks is hashed as its plain bytes, so its digest is the SHA-256 a source may declare
 * (FileContent.sha256) and such files deduplicate with those. A sparse block is not hashed (huge
 * sparse files hash in no time), and the encoding stays injective for a given size: with k >= 1
 * zero blocks the hashed stream is size - k * blockSize + 4k + 8 bytes long, never the size
 * itself, and for a given k the indices are in it.
 */
function zeroBlocksTrailer(indices: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * indices.length + 8);
  const view = new DataView(out.buffer);
  indices.forEach((index, i) => view.setUint32(4 * i, index, true));
  view.setUint32(4 * indices.length, indices.length, true);
  out.set([0x5a, 0x45, 0x52, 0x4f], 4 * indices.length + 4); // "ZERO"
  return out;
}

export function abortError(signal: AbortSignal): SquashfsError {
  return new SquashfsError('ABORTED', 'writing the image was aborted', { cause: signal.reason });
}

/**
 * Streams file contents into data blocks: cuts them into blocks, detects sparse blocks, hashes the
 * content for deduplication, queues the blocks on the shared {@link BlockQueue} (compressed
 * `window` at a time across file boundaries, written in order) and hands tails to the fragment
 * packer.
 *
 * A placement is complete only after {@link finish}: block words and the start position are filled
 * in as the blocks are written. A duplicate is known once the whole file was read; its blocks still
 * queued are dropped and the cursor moves back over those already written (they are the last
 * blocks in the queue, as tails and fragment blocks are queued only after the decision).
 */
export class FileWriter {
  readonly dedup = new DedupIndex();
  duplicates = 0;
  sparseBlocks = 0;
  bytesIn = 0;

  private readonly o: FileWriterOptions;
  /** Read buffer of {@link writeSmall}. */
  private scratch: Uint8Array | undefined;
  /** Who waits for a placement's last block ({@link placed}). */
  private readonly waiters = new WeakMap<FilePlacement, () => void>();

  constructor(options: FileWriterOptions) {
    this.o = options;
  }

  /**
   * Writes one file's data; returns its placement. A small file read with `readInto` is done
   * synchronously unless its fragment block fills up (a promise then, while the block is queued).
   */
  write(content: FileContent, path: string): FilePlacement | Promise<FilePlacement> {
    const declared = content.size;
    if (content.readInto !== undefined && declared !== undefined && declared > 0 && declared < this.o.blockSize && this.o.packer !== null) {
      return this.writeSmall(content, declared, path);
    }
    return this.writeStream(content, path);
  }

  private async writeStream(content: FileContent, path: string): Promise<FilePlacement> {
    const { blockSize, codec, queue, signal } = this.o;
    const declared = content.size;
    const known = declaredKey(content, path, this.o.hasher !== null);
    const hasher = known === undefined ? (this.o.hasher?.() ?? null) : null;
    const placement: FilePlacement = { size: 0, startBlock: 0, blocks: [], fragment: SQUASHFS_INVALID_FRAG, offset: 0, sparse: 0, blockCount: 0 };
    /** Indices of the all-zero full blocks (see zeroBlocksTrailer). */
    const zeroBlocks: number[] = [];
    let queued = 0;
    let placed = 0;
    let sparseBlocks = 0;
    let total = 0;
    let partial: Uint8Array | null = null;
    /** `partial` is a view of a chunk from the source, not a block buffer of our own. */
    let borrowed = false;
    let fill = 0;

    const onPlaced = (position: number, word: number, length: number): void => {
      if (placed === 0) placement.startBlock = position;
      placed++;
      placement.blocks.push(word);
      if (word === 0) placement.sparse += length;
      if (placement.blocks.length === placement.blockCount) this.waiters.get(placement)?.();
    };
    const what = `a block of ${path}`;

    /** Queues one block; `hash` is false for the tail, which was hashed already. */
    const emit = async (block: Uint8Array, hash = true): Promise<void> => {
      const h = hash ? hasher : null;
      const placed = (position: number, word: number): void => onPlaced(position, word, block.length);
      const index = queued++;
      if (isAllZero(block)) {
        if (h !== null) zeroBlocks.push(index); // not hashed: listed at the end (zeroBlocksTrailer)
        sparseBlocks++;
        await queue.push({ raw: block, compressed: null, placed, what, path });
      } else {
        h?.update(block);
        await queue.push({ raw: block, compressed: codec.compress(block), placed, what, path });
      }
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
    const isAsync = source !== null && typeof source === 'object' && Symbol.asyncIterator in source;
    /** The next read of an async source, started before the current chunk is cut (double buffering). */
    let ahead: Promise<IteratorResult<Uint8Array>> | null = null;
    let finished = false;
    try {
      for (;;) {
        if (signal?.aborted) throw abortError(signal);
        let step: IteratorResult<Uint8Array>;
        try {
          const next = ahead ?? iterator.next();
          ahead = null;
          step = await next;
          if (isAsync && step.done !== true) {
            ahead = (iterator as AsyncIterator<Uint8Array>).next();
            ahead.catch(noop); // observed by the next round (or dropped with the file on an error)
          }
        } catch (cause) {
          throw readFailed(cause, path);
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
          throw grew(path, declared);
        }
        let off = 0;
        while (off < chunk.length) {
          if (fill === 0 && chunk.length - off >= blockSize) {
            await emit(chunk.subarray(off, off + blockSize));
            off += blockSize;
            continue;
          }
          if (fill === 0) {
            // Less than a block left in this chunk: borrow it (no copy) until more data comes;
            // a small file read in one chunk is never copied here.
            partial = chunk.subarray(off);
            borrowed = true;
            fill = partial.length;
            break;
          }
          if (borrowed) {
            const own = allocUninitialized(blockSize);
            own.set(partial!.subarray(0, fill));
            partial = own;
            borrowed = false;
          }
          const n = Math.min(blockSize - fill, chunk.length - off);
          partial!.set(chunk.subarray(off, off + n), fill);
          fill += n;
          off += n;
          if (fill === blockSize) {
            await emit(partial!);
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
      throw shrank(path, total, declared);
    }
    if (total === 0) return placement;
    placement.size = total;

    // Decide dedup before anything goes into a fragment, so only this file's blocks need undoing.
    const tail = fill > 0 ? partial!.subarray(0, fill) : null;
    let key = known;
    if (hasher !== null) {
      if (tail !== null) hasher.update(tail);
      if (zeroBlocks.length > 0) hasher.update(zeroBlocksTrailer(zeroBlocks));
      key = DedupIndex.key(hasher.digest());
    }
    if (key !== undefined) {
      const earlier = this.dedup.get(key, total);
      if (earlier !== undefined) {
        queue.dropLast(queued - placed);
        if (placed > 0) this.o.cursor.rewind(placement.startBlock);
        this.duplicates++;
        return earlier;
      }
    }

    const packer = this.o.packer;
    const tailInFragment = tail !== null && packer !== null && (queued === 0 || this.o.tailEnds);
    if (tail !== null && !tailInFragment) await emit(tail, false);
    if (tailInFragment) ({ fragment: placement.fragment, offset: placement.offset } = await packer!.add(tail!));
    this.sparseBlocks += sparseBlocks;
    placement.blockCount = queued;
    if (key !== undefined) this.dedup.set(key, placement);
    return placement;
  }

  /**
   * Resolves once every block of `placement` (returned by {@link write}) is written, at once if
   * they are. It waits for the queue to write them: a caller that does not drive the queue
   * itself must also watch whatever does (a failed write never resolves this).
   */
  placed(placement: FilePlacement): Promise<void> {
    if (placement.blocks.length >= placement.blockCount) return Promise.resolve();
    return new Promise((resolve) => {
      const earlier = this.waiters.get(placement); // a duplicate shares its placement
      this.waiters.set(placement, earlier === undefined ? resolve : () => (earlier(), resolve()));
    });
  }

  /**
   * A file smaller than a block read with `readInto`: into one scratch buffer reused for every
   * such file (no allocation, no garbage per file), hashed (unless its source declared its digest),
   * then copied into a fragment, or dropped as a duplicate. Same placement, hash and bytes as the
   * streaming path.
   */
  private writeSmall(content: FileContent, declared: number, path: string): FilePlacement | Promise<FilePlacement> {
    if (this.o.signal?.aborted) throw abortError(this.o.signal);
    const known = declaredKey(content, path, this.o.hasher !== null);
    const scratch = (this.scratch ??= new Uint8Array(this.o.blockSize + 1));
    let n: number;
    try {
      n = content.readInto!(scratch.subarray(0, declared + 1));
    } catch (cause) {
      throw readFailed(cause, path);
    }
    if (n > declared) {
      throw grew(path, declared);
    }
    this.bytesIn += n;
    if (n !== declared) {
      throw shrank(path, n, declared);
    }
    const data = scratch.subarray(0, n);
    let key = known;
    if (key === undefined && this.o.hasher !== null) {
      const oneShot = this.o.digestHex ?? null;
      if (oneShot !== null) key = oneShot(data);
      else {
        const hasher = this.o.hasher();
        hasher.update(data);
        key = DedupIndex.key(hasher.digest());
      }
    }
    if (key !== undefined) {
      const earlier = this.dedup.get(key, n);
      if (earlier !== undefined) {
        this.duplicates++;
        return earlier;
      }
    }
    const packer = this.o.packer!;
    const place = (): FilePlacement => {
      const { fragment, offset } = packer.addNow(data);
      const placement: FilePlacement = { size: n, startBlock: 0, blocks: [], fragment, offset, sparse: 0, blockCount: 0 };
      if (key !== undefined) this.dedup.set(key, placement);
      return placement;
    };
    // `data` lives in the scratch buffer, which no other file uses before this one is placed.
    return packer.fits(data) ? place() : packer.flush().then(place);
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The dedup key of a content's declared SHA-256 when deduplication is on (`dedup`), else
 * undefined; a malformed one is refused either way.
 */
function declaredKey(content: FileContent, path: string, dedup: boolean): string | undefined {
  const sha256 = content.sha256;
  if (sha256 === undefined) return undefined;
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    throw new SquashfsError('INVALID_ARGUMENT', `${path}: the content's sha256 is not 64 lower-case hex digits: ${JSON.stringify(sha256)}`, { path });
  }
  return dedup ? sha256 : undefined; // the key of a digest is its hex (DedupIndex.key)
}

/** A source that failed while being read (a SquashfsError keeps its code and gains the path). */
function readFailed(cause: unknown, path: string): SquashfsError {
  if (cause instanceof SquashfsError) return withPath(cause, path);
  return new SquashfsError('IO', `reading ${path} failed: ${describe(cause)}`, { path, cause });
}

function grew(path: string, declared: number): SquashfsError {
  return new SquashfsError('SIZE_MISMATCH', `${path}: the source gave more than the declared ${declared} bytes (did the file grow while being read?)`, { path });
}

function shrank(path: string, got: number, declared: number): SquashfsError {
  return new SquashfsError('SIZE_MISMATCH', `${path}: the source gave ${got} bytes but ${declared} were declared (did the file shrink while being read?)`, { path });
}

function withPath(e: SquashfsError, path: string): SquashfsError {
  if (e.path !== undefined) return e;
  return new SquashfsError(e.code, `${path}: ${e.message}`, { path, cause: e });
}
