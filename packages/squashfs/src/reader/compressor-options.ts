import { corrupt } from './corrupt.js';
import { u16, u32 } from './bytes.js';

/** Decodes the compressor options payload (informational; only xz and lz4 matter to the kernel). */
export function decodeCompressorOptions(compression: number, b: Uint8Array, offset: number): Record<string, number> {
  const need = (n: number) => {
    if (b.length !== n) throw corrupt('compression options', offset, `options block of ${b.length} bytes, expected ${n}`);
  };
  switch (compression) {
    case 1:
      need(8);
      return { level: u32(b, 0), windowSize: u16(b, 4), strategies: u16(b, 6) };
    case 3:
      need(8);
      return { algorithm: u32(b, 0), level: u32(b, 4) };
    case 4:
      need(8);
      return { dictionarySize: u32(b, 0), filters: u32(b, 4) };
    case 5:
      need(8);
      return { version: u32(b, 0), flags: u32(b, 4) };
    case 6:
      need(4);
      return { level: u32(b, 0) };
    default:
      return { bytes: b.length };
  }
}
