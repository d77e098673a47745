/**
 * Portable zstd decompression for SquashFS blocks, via fzstd (pure JS, synchronous, no WASM
 * start-up). The frame layout is checked first so that the output is bounded by `maxSize` before
 * anything is allocated.
 */
import { Decompress, decompress } from 'fzstd';
import { scanZstdFrames } from './zstd-frame.js';

/**
 * Checks the frame layout against `maxSize` and returns the declared output size (content sizes,
 * or block-derived upper bounds for frames without one). Throws on anything a block cannot hold.
 */
export function checkZstdFrames(data: Uint8Array, maxSize: number): { declared: number; allSized: boolean } {
  const frames = scanZstdFrames(data);
  if (frames.length === 0) throw new Error('zstd data holds no frame');
  let declared = 0;
  for (const frame of frames) {
    if (frame.dictionaryId !== 0) throw new Error('zstd frame needs a dictionary');
    if (frame.contentSize !== undefined && frame.contentSize > maxSize) {
      throw new Error(`zstd frame declares ${frame.contentSize} bytes, more than the ${maxSize}-byte maximum`);
    }
    if (frame.contentSize === undefined && frame.windowSize > Math.max(maxSize, 1 << 20)) {
      throw new Error(
        `zstd frame without a content size has a ${frame.windowSize}-byte window, larger than any SquashFS block (the kernel cannot decode it)`,
      );
    }
    declared += frame.contentSize ?? frame.maxOutput;
  }
  return { declared, allSized: frames.every((f) => f.contentSize !== undefined) };
}

export function decompressZstd(data: Uint8Array, maxSize: number): Uint8Array {
  const { declared, allSized } = checkZstdFrames(data, maxSize);
  const out = declared <= maxSize ? decompress(data) : decompressBounded(data, maxSize);
  if (out.length > maxSize) throw new Error(`zstd data decompresses to more than ${maxSize} bytes`);
  if (allSized && out.length !== declared) {
    throw new Error(`zstd data decompressed to ${out.length} bytes, the frame header declares ${declared}`);
  }
  return out;
}

/** Streaming decode that stops as soon as the output passes `maxSize` (frames without a content size). */
function decompressBounded(data: Uint8Array, maxSize: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const stream = new Decompress((chunk) => {
    total += chunk.length;
    if (total > maxSize) throw new Error(`zstd data decompresses to more than ${maxSize} bytes`);
    chunks.push(chunk.slice());
  });
  stream.push(data, true);
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
