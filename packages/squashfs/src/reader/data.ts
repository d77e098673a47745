import type { Decompressor } from '../compress/codec.js';
import type { ImageSource } from '../io/sink.js';
import { corrupt } from './corrupt.js';
import { u32, u64 } from './bytes.js';
import { DATA_UNCOMPRESSED_BIT } from './constants.js';
import { decompressBlockAsync, decompressedLength } from './decompress.js';
import type { FileInode } from './inode.js';
import { readExact } from './source.js';
import type { LookupTable } from './tables.js';

export interface FragmentEntry {
  start: number;
  /** On-disk size (bit 24 cleared). */
  size: number;
  compressed: boolean;
}

export interface DataContext {
  source: ImageSource;
  decompressor: Decompressor;
  blockSize: number;
  bytesUsed: number;
  fragments: LookupTable | null;
  /** Small cache of decompressed fragment blocks. */
  fragmentCache: Map<number, Uint8Array>;
  /** verify: how many bytes each fragment block checked so far holds (see {@link fragmentLength}). */
  fragmentLengths: Map<number, Promise<number>>;
}

/** Decodes a block-size word: bits 0..23 size, bit 24 uncompressed, higher bits must be 0. */
export function decodeBlockWord(word: number): { size: number; compressed: boolean } | null {
  if (word >>> 25 !== 0) return null;
  return { size: word & 0xffffff, compressed: (word & DATA_UNCOMPRESSED_BIT) === 0 };
}

export async function fragmentEntry(ctx: DataContext, index: number): Promise<FragmentEntry> {
  if (ctx.fragments === null) throw corrupt('fragment table', 0, `fragment ${index} referenced but the image has none`);
  const e = await ctx.fragments.entry(index);
  const start = u64(e, 0);
  const word = u32(e, 8);
  const at = ctx.fragments.pointers[Math.floor((index * 16) / 8192)]!;
  const decoded = decodeBlockWord(word);
  if (decoded === null) throw corrupt('fragment table', at, `fragment ${index}: size word 0x${word.toString(16)} has bits above 24`);
  if (decoded.size === 0 || decoded.size > ctx.blockSize) throw corrupt('fragment table', at, `fragment ${index}: size ${decoded.size} not in 1..${ctx.blockSize}`);
  if (!(start + decoded.size <= ctx.bytesUsed)) throw corrupt('fragment table', at, `fragment ${index}: block at ${start} runs past bytes_used`);
  return { start, size: decoded.size, compressed: decoded.compressed };
}

/**
 * A decompressed fragment block (at most block_size bytes). Like data blocks, decompressed off this
 * thread where the decompressor has `decompressAsync` (several can then be in flight at once).
 */
export async function fragmentBlock(ctx: DataContext, index: number): Promise<Uint8Array> {
  const hit = ctx.fragmentCache.get(index);
  if (hit !== undefined) return hit;
  const f = await fragmentEntry(ctx, index);
  const raw = await readExact(ctx.source, f.start, f.size, ctx.bytesUsed, 'fragment block');
  const data = f.compressed ? await decompressBlockAsync(ctx.decompressor, raw, ctx.blockSize, 'fragment block', f.start) : raw;
  ctx.fragmentCache.set(index, data);
  if (ctx.fragmentCache.size > 8) ctx.fragmentCache.delete(ctx.fragmentCache.keys().next().value as number);
  return data;
}

export interface BlockPlace {
  position: number;
  size: number;
  compressed: boolean;
  expected: number;
}

/** Where each data block of a file lives (generated lazily: block lists can be long). */
export function* blockLayout(ctx: DataContext, file: FileInode): Generator<BlockPlace> {
  let position = file.startBlock;
  const n = file.blocks.length;
  for (let i = 0; i < n; i++) {
    const word = file.blocks[i]!;
    const decoded = decodeBlockWord(word);
    if (decoded === null) throw corrupt('inode table', position, `file inode ${file.inodeNumber}: block ${i} size word 0x${word.toString(16)} has bits above 24`);
    const expected = i < n - 1 || file.fragment !== null ? ctx.blockSize : file.fileSize - i * ctx.blockSize;
    if (decoded.size > ctx.blockSize) throw corrupt('data block', position, `file inode ${file.inodeNumber}: block ${i} of ${decoded.size} bytes exceeds the block size`);
    if (decoded.size > 0 && !(position + decoded.size <= ctx.bytesUsed)) {
      throw corrupt('data block', position, `file inode ${file.inodeNumber}: block ${i} runs past bytes_used ${ctx.bytesUsed}`);
    }
    yield { position, size: decoded.size, compressed: decoded.compressed, expected };
    position += decoded.size;
  }
}

/**
 * Reads one stored (non-sparse) data block and checks it decompresses to its declared size (off
 * this thread where the decompressor has `decompressAsync`).
 */
async function dataBlock(ctx: DataContext, file: FileInode, b: BlockPlace): Promise<Uint8Array> {
  const raw = await readExact(ctx.source, b.position, b.size, ctx.bytesUsed, 'data block');
  const data = b.compressed ? await decompressBlockAsync(ctx.decompressor, raw, b.expected, 'data block', b.position) : raw;
  checkHolds(file, b, data.length);
  return data;
}

/**
 * verify: {@link dataBlock} without the bytes: where the decompressor has
 * `decompressedLengthAsync`, they stay where they were decompressed.
 */
async function checkDataBlock(ctx: DataContext, file: FileInode, b: BlockPlace): Promise<void> {
  const raw = await readExact(ctx.source, b.position, b.size, ctx.bytesUsed, 'data block');
  checkHolds(file, b, b.compressed ? await decompressedLength(ctx.decompressor, raw, b.expected, 'data block', b.position) : raw.length);
}

function checkHolds(file: FileInode, b: BlockPlace, length: number): void {
  if (length !== b.expected) {
    throw corrupt('data block', b.position, `file inode ${file.inodeNumber}: block holds ${length} bytes, expected ${b.expected}`);
  }
}

/** How many bytes of the file are in a fragment block (0: none). */
function tailLength(ctx: DataContext, file: FileInode): number {
  const tail = file.fileSize - file.blocks.length * ctx.blockSize;
  return file.fragment === null || tail <= 0 ? 0 : tail;
}

/** The file's tail from its fragment block, bounds-checked. */
async function fragmentTail(ctx: DataContext, file: FileInode): Promise<Uint8Array | null> {
  const tail = tailLength(ctx, file);
  if (tail === 0) return null;
  const frag = await fragmentBlock(ctx, file.fragment!);
  checkTailFits(file, tail, frag.length);
  return frag.subarray(file.fragmentOffset, file.fragmentOffset + tail);
}

function checkTailFits(file: FileInode, tail: number, fragmentLength: number): void {
  if (file.fragmentOffset + tail > fragmentLength) {
    throw corrupt('fragment block', file.fragmentOffset, `file inode ${file.inodeNumber}: tail of ${tail} bytes at ${file.fragmentOffset} past the ${fragmentLength}-byte fragment ${file.fragment}`);
  }
}

/** Fragment blocks whose length verify asks for ahead of the one it needs (it reads them in order). */
const FRAGMENTS_AHEAD = 8;

/**
 * verify: how many bytes fragment block `index` holds. Each block is read and decompressed once
 * (without its bytes coming back where the decompressor has `decompressedLengthAsync`), its length
 * remembered: thousands of small files share a fragment block.
 */
export function fragmentLength(ctx: DataContext, index: number): Promise<number> {
  let length = ctx.fragmentLengths.get(index);
  if (length === undefined) {
    length = (async () => {
      const cached = ctx.fragmentCache.get(index);
      if (cached !== undefined) return cached.length;
      const f = await fragmentEntry(ctx, index);
      const raw = await readExact(ctx.source, f.start, f.size, ctx.bytesUsed, 'fragment block');
      return f.compressed ? decompressedLength(ctx.decompressor, raw, ctx.blockSize, 'fragment block', f.start) : raw.length;
    })();
    length.catch(noop); // observed by whoever asked for this one (not by a look-ahead)
    ctx.fragmentLengths.set(index, length);
  }
  return length;
}

/** Starts {@link fragmentLength} of the blocks `index` .. `index + FRAGMENTS_AHEAD - 1` that exist. */
export function fragmentLengthsAhead(ctx: DataContext, index: number): void {
  const end = Math.min(ctx.fragments?.count ?? 0, index + FRAGMENTS_AHEAD);
  for (let i = index; i < end; i++) void fragmentLength(ctx, i);
}

/**
 * Blocks {@link checkFileData} reads and decompresses at once (reads on the libuv pool, the node
 * decompressors on one worker thread per core): 4 -> 8 took a 266 MB image's check from ~0.5 to
 * ~0.4 s on 2 cores.
 */
const CHECKS_IN_FLIGHT = 8;
const noop = (): void => {};

/**
 * verify: every stored block decompresses to its declared size and the tail fits in its fragment
 * block (sparse blocks cost nothing). With a decompressor that has `decompressedLengthAsync` (or
 * `decompressAsync`), up to {@link CHECKS_IN_FLIGHT} blocks at once; the first bad block in file
 * order is the one reported, whatever order they finish in.
 */
export async function checkFileData(ctx: DataContext, file: FileInode): Promise<void> {
  const pending: Promise<void>[] = [];
  for (const b of blockLayout(ctx, file)) {
    if (b.size === 0) continue;
    const check = checkDataBlock(ctx, file, b);
    check.catch(noop); // observed in order below (or dropped with the file on an earlier error)
    pending.push(check);
    if (pending.length >= CHECKS_IN_FLIGHT) await pending.shift();
  }
  for (const check of pending) await check;
  const tail = tailLength(ctx, file);
  if (tail === 0) return;
  fragmentLengthsAhead(ctx, file.fragment!);
  checkTailFits(file, tail, await fragmentLength(ctx, file.fragment!));
}

/** Blocks {@link fileChunks} reads and decompresses ahead of the one it yields. */
const READ_AHEAD = 8;

/**
 * Yields a file's contents block by block; every block decompresses to exactly its declared size.
 * The next {@link READ_AHEAD} blocks are read and decompressed meanwhile (several at once where
 * the decompressor has `decompressAsync`); a problem is still reported at its block, in order.
 */
export async function* fileChunks(ctx: DataContext, file: FileInode): AsyncGenerator<Uint8Array> {
  /** A sparse block's length, or a stored block on its way. */
  const ahead: Array<number | Promise<Uint8Array>> = [];
  const layout = blockLayout(ctx, file);
  let more = true;
  const fill = (): void => {
    while (more && ahead.length < READ_AHEAD) {
      let next: IteratorResult<BlockPlace>;
      try {
        next = layout.next();
      } catch (error) {
        // A bad block word: reported when its turn comes, after the blocks before it.
        more = false;
        const failed = Promise.reject(error as Error);
        failed.catch(noop);
        ahead.push(failed);
        return;
      }
      if (next.done === true) {
        more = false;
        return;
      }
      const b = next.value;
      if (b.size === 0) ahead.push(b.expected);
      else {
        const block = dataBlock(ctx, file, b);
        block.catch(noop); // observed in its turn (or dropped with an abandoned read)
        ahead.push(block);
      }
    }
  };
  fill();
  while (ahead.length > 0) {
    const next = ahead.shift()!;
    const chunk = typeof next === 'number' ? new Uint8Array(next) : await next;
    fill();
    yield chunk;
  }
  const tail = await fragmentTail(ctx, file);
  if (tail !== null) yield tail.slice();
}
