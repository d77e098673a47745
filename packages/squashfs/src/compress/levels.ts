/**
 * Compression levels and the compressor-options payload (format notes §2.9), shared by every
 * codec implementation so that portable and Node codecs describe an image identically.
 */
import { SquashfsError } from '../errors.js';
import { COMPRESSION_ID, DEFAULT_LEVEL, IMPLIED_LEVEL, type CompressionName } from './codec.js';

export const LEVEL_RANGE: Record<CompressionName, readonly [number, number]> = {
  gzip: [1, 9],
  zstd: [1, 22],
};

/** Validates `name` and `level` (default: `DEFAULT_LEVEL`) and returns the level. */
export function resolveLevel(name: CompressionName, level?: number): number {
  const range = LEVEL_RANGE[name as CompressionName] as readonly [number, number] | undefined;
  if (range === undefined) {
    throw new SquashfsError('INVALID_ARGUMENT', `unknown compressor ${JSON.stringify(name)} (expected "gzip" or "zstd")`);
  }
  const value = level ?? DEFAULT_LEVEL[name];
  if (!Number.isInteger(value) || value < range[0] || value > range[1]) {
    throw new SquashfsError(
      'INVALID_ARGUMENT',
      `${name} compression level must be an integer from ${range[0]} to ${range[1]}, got ${String(level)}`,
    );
  }
  return value;
}

/**
 * Payload of the compressor-options metadata block, or null for the levels squashfs-tools implies
 * without one (`IMPLIED_LEVEL`; mksquashfs and squashfs-tools-ng omit the block then):
 * - gzip: u32 level, u16 window size (15), u16 strategies (0); omitted for level 9.
 * - zstd: u32 level; omitted for level 15.
 */
export function compressorOptions(name: CompressionName, level: number): Uint8Array | null {
  if (level === IMPLIED_LEVEL[name]) return null;
  if (name === 'gzip') {
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, level, true);
    view.setUint16(4, 15, true);
    view.setUint16(6, 0, true);
    return out;
  }
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, level, true);
  return out;
}

/** The superblock compressor id for a codec name. */
export function compressionId(name: CompressionName): number {
  return COMPRESSION_ID[name];
}
