import { SquashfsError } from '../errors.js';
import type { ImageSource } from '../io/sink.js';
import { corrupt, type Structure } from './corrupt.js';

/** Reads exactly `length` bytes at `position`, all within `end` (bytes_used); otherwise CORRUPT_IMAGE. */
export async function readExact(
  source: ImageSource,
  position: number,
  length: number,
  end: number,
  structure: Structure,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0 || position + length > end) {
    throw corrupt(structure, position, `${length} bytes at ${position} run past the end of the image (${end})`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await source.read(position, length);
  } catch (error) {
    if (error instanceof SquashfsError) throw error;
    throw new SquashfsError('IO', `reading ${length} bytes at ${position} failed: ${(error as Error)?.message ?? error}`, {
      offset: position,
      structure,
      cause: error,
    });
  }
  if (bytes.length !== length) throw corrupt(structure, position, `short read: ${bytes.length} of ${length} bytes`);
  return bytes;
}
