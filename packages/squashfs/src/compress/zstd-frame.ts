/**
 * Zstandard frame structure (RFC 8878 §3.1), read without decoding: the frame header (the kernel
 * needs the content size there, format notes §2.10) and the block layout, so a decoder can bound
 * its output before allocating anything.
 */

export const ZSTD_MAGIC = 0xfd2fb528;
const BLOCK_MAX = 128 * 1024;

export interface ZstdFrameHeader {
  /** Bytes of magic + header. */
  headerSize: number;
  singleSegment: boolean;
  hasChecksum: boolean;
  dictionaryId: number;
  /** Frame_Content_Size, or undefined when the header does not carry it. */
  contentSize: number | undefined;
  /** Window size (for single-segment frames, the content size). */
  windowSize: number;
}

export interface ZstdFrame extends ZstdFrameHeader {
  /** Offset just past the frame (after the checksum). */
  end: number;
  /** Upper bound of the decoded size, from the block headers. */
  maxOutput: number;
}

function u32(data: Uint8Array, at: number): number {
  return (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
}

/** Parses the frame header at `offset`; throws if it is not a valid zstd frame header. */
export function readZstdFrameHeader(data: Uint8Array, offset = 0): ZstdFrameHeader {
  if (data.length < offset + 6) throw new Error('zstd frame header truncated');
  if (u32(data, offset) !== ZSTD_MAGIC) throw new Error('not a zstd frame (bad magic)');
  const fhd = data[offset + 4]!;
  if (fhd & 0x08) throw new Error('zstd frame header reserved bit set');
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd & 0x20) !== 0;
  const hasChecksum = (fhd & 0x04) !== 0;
  const didSize = [0, 1, 2, 4][fhd & 3]!;
  const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
  let at = offset + 5;
  let windowSize = 0;
  if (!singleSegment) {
    const wd = data[at++]!;
    const base = 2 ** (10 + (wd >> 3));
    windowSize = base + (base / 8) * (wd & 7);
  }
  if (data.length < at + didSize + fcsSize) throw new Error('zstd frame header truncated');
  let dictionaryId = 0;
  for (let i = didSize - 1; i >= 0; i--) dictionaryId = dictionaryId * 256 + data[at + i]!;
  at += didSize;
  let contentSize: number | undefined;
  if (fcsSize > 0) {
    let v = 0;
    for (let i = fcsSize - 1; i >= 0; i--) v = v * 256 + data[at + i]!;
    contentSize = fcsSize === 2 ? v + 256 : v;
    at += fcsSize;
  }
  if (singleSegment) windowSize = contentSize!;
  return { headerSize: at - offset, singleSegment, hasChecksum, dictionaryId, contentSize, windowSize };
}

/**
 * Walks the frames of `data` (skippable frames are skipped) by their block headers. Throws on a
 * malformed layout or trailing bytes.
 */
export function scanZstdFrames(data: Uint8Array): ZstdFrame[] {
  const frames: ZstdFrame[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at >= 8 && (u32(data, at) & 0xfffffff0) === 0x184d2a50) {
      at += 8 + u32(data, at + 4);
      if (at > data.length) throw new Error('zstd skippable frame truncated');
      continue;
    }
    const header = readZstdFrameHeader(data, at);
    const blockMax = Math.min(header.windowSize, BLOCK_MAX);
    at += header.headerSize;
    let maxOutput = 0;
    for (;;) {
      if (at + 3 > data.length) throw new Error('zstd block header truncated');
      const bh = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16);
      at += 3;
      const last = bh & 1;
      const type = (bh >> 1) & 3;
      const size = bh >>> 3;
      if (type === 3) throw new Error('zstd reserved block type');
      if (size > blockMax) throw new Error(`zstd block of ${size} bytes exceeds the ${blockMax}-byte block maximum`);
      if (type === 0) {
        at += size;
        maxOutput += size;
      } else if (type === 1) {
        at += 1;
        maxOutput += size;
      } else {
        at += size;
        maxOutput += blockMax;
      }
      if (at > data.length) throw new Error('zstd block truncated');
      if (last) break;
    }
    if (header.hasChecksum) at += 4;
    if (at > data.length) throw new Error('zstd frame checksum truncated');
    if (header.contentSize !== undefined) maxOutput = Math.min(maxOutput, header.contentSize);
    frames.push({ ...header, end: at, maxOutput });
  }
  return frames;
}
