import type { Decompressor } from '../compress/codec.js';
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
    throw corrupt(structure, offset, `block does not decompress: ${(error as Error)?.message ?? String(error)}`, error);
  }
  if (!(out instanceof Uint8Array)) throw corrupt(structure, offset, 'decompressor returned no bytes');
  if (out.length > maxSize) throw corrupt(structure, offset, `block decompresses to ${out.length} bytes, more than ${maxSize}`);
  return out;
}
