import type { Decompressor } from '../compress/codec.js';
import { SquashfsError } from '../errors.js';
import { corrupt, type Structure } from './corrupt.js';

/** Runs the decompressor with a hard output bound; any failure becomes CORRUPT_IMAGE. */
export function decompressBlock(
  decompressor: Decompressor,
  data: Uint8Array,
  maxSize: number,
  structure: Structure,
  offset: number,
): Uint8Array {
  let out: Uint8Array;
  try {
    out = decompressor.decompress(data, maxSize);
  } catch (error) {
    throw notDecompressed(structure, offset, error);
  }
  return bounded(out, maxSize, structure, offset);
}

/** {@link decompressBlock} through the decompressor's `decompressAsync` where it has one. */
export async function decompressBlockAsync(
  decompressor: Decompressor,
  data: Uint8Array,
  maxSize: number,
  structure: Structure,
  offset: number,
): Promise<Uint8Array> {
  if (decompressor.decompressAsync === undefined) return decompressBlock(decompressor, data, maxSize, structure, offset);
  const out = await decompressing(() => decompressor.decompressAsync!(data, maxSize), structure, offset);
  return bounded(out, maxSize, structure, offset);
}

/**
 * How many bytes a block decompresses to (at most `maxSize`), through the decompressor's
 * `decompressedLengthAsync` where it has one (the bytes then stay off this thread), else
 * {@link decompressBlockAsync}. Same errors.
 */
export async function decompressedLength(
  decompressor: Decompressor,
  data: Uint8Array,
  maxSize: number,
  structure: Structure,
  offset: number,
): Promise<number> {
  if (decompressor.decompressedLengthAsync === undefined) return (await decompressBlockAsync(decompressor, data, maxSize, structure, offset)).length;
  const length = await decompressing(() => decompressor.decompressedLengthAsync!(data, maxSize), structure, offset);
  if (!Number.isSafeInteger(length) || length < 0) throw corrupt(structure, offset, 'decompressor returned no length');
  checkBound(length, maxSize, structure, offset);
  return length;
}

/**
 * `call`'s result; its failure as the block's CORRUPT_IMAGE, except an I/O failure or an abort
 * (SquashfsError 'IO' or 'ABORTED': a decompression worker that died, say out of memory, is not
 * a sign of a bad image).
 */
async function decompressing<T>(call: () => Promise<T>, structure: Structure, offset: number): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SquashfsError && (error.code === 'IO' || error.code === 'ABORTED')) throw error;
    throw notDecompressed(structure, offset, error);
  }
}

function notDecompressed(structure: Structure, offset: number, error: unknown): Error {
  return corrupt(structure, offset, `block does not decompress: ${(error as Error)?.message ?? String(error)}`, error);
}

function bounded(out: unknown, maxSize: number, structure: Structure, offset: number): Uint8Array {
  if (!(out instanceof Uint8Array)) throw corrupt(structure, offset, 'decompressor returned no bytes');
  checkBound(out.length, maxSize, structure, offset);
  return out;
}

function checkBound(length: number, maxSize: number, structure: Structure, offset: number): void {
  if (length > maxSize) throw corrupt(structure, offset, `block decompresses to ${length} bytes, more than ${maxSize}`);
}
