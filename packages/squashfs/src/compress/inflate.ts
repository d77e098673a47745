/**
 * Portable zlib (RFC 1950) decompression for SquashFS "gzip" blocks, bounded by the caller's
 * maximum output size, with the Adler-32 trailer verified (fflate does not check it).
 */
import { unzlibSync } from 'fflate';
import { adler32 } from './adler32.js';

export function inflateZlib(data: Uint8Array, maxSize: number): Uint8Array {
  if (data.length < 6) throw new Error(`zlib stream too short (${data.length} bytes)`);
  const cmf = data[0]!;
  const flg = data[1]!;
  if ((cmf & 0x0f) !== 8 || (cmf >> 4) > 7 || ((cmf << 8) | flg) % 31 !== 0) {
    throw new Error('not a zlib stream (bad CMF/FLG header)');
  }
  if (flg & 0x20) throw new Error('zlib stream needs a preset dictionary');
  // fflate silently truncates at the end of a caller-supplied buffer: give it one spare byte
  // so that "would exceed maxSize" shows as a full buffer.
  const out = unzlibSync(data, { out: new Uint8Array(maxSize + 1) });
  if (out.length > maxSize) throw new Error(`zlib stream inflates to more than ${maxSize} bytes`);
  const end = data.length;
  const expected = ((data[end - 4]! << 24) | (data[end - 3]! << 16) | (data[end - 2]! << 8) | data[end - 1]!) >>> 0;
  if (adler32(out) !== expected) throw new Error('zlib stream Adler-32 mismatch');
  return out.length === out.buffer.byteLength ? out : out.slice();
}
