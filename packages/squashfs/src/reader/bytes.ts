/** Little-endian field access. Callers check lengths before calling (see MetaCursor.read). */

export function u8(b: Uint8Array, o: number): number {
  return b[o]!;
}

export function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

export function s16(b: Uint8Array, o: number): number {
  const v = u16(b, o);
  return v >= 0x8000 ? v - 0x10000 : v;
}

export function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

/**
 * A u64 as a number. Values above 2^53 come back as Infinity, so every comparison against a real
 * size or offset fails instead of silently losing precision.
 */
export function u64(b: Uint8Array, o: number): number {
  const hi = u32(b, o + 4);
  if (hi > 0x1fffff) return Number.POSITIVE_INFINITY;
  return hi * 0x100000000 + u32(b, o);
}

/** True when the u64 at `o` is 0xFFFF_FFFF_FFFF_FFFF (the "no table" marker). */
export function isAllOnes64(b: Uint8Array, o: number): boolean {
  for (let i = 0; i < 8; i++) if (b[o + i] !== 0xff) return false;
  return true;
}

const decoder = new TextDecoder('utf-8');
export function utf8(b: Uint8Array): string {
  return decoder.decode(b);
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
