/**
 * Sparse-block detection. Where the runtime has a native byte comparison (Node, Bun and Deno
 * expose `Buffer.compare` globally, a memcmp) it is used through feature detection, not an import;
 * elsewhere a word-wise loop runs.
 */

type Compare = (a: Uint8Array, b: Uint8Array) => number;
const nativeCompare: Compare | undefined = (() => {
  const B = (globalThis as { Buffer?: { compare?: unknown } }).Buffer;
  return typeof B?.compare === 'function' ? (B.compare as Compare).bind(B) : undefined;
})();

let zeros = new Uint8Array(0);

/** True when every byte of `block` is zero (a sparse block). */
export function isAllZero(block: Uint8Array): boolean {
  const len = block.length;
  if (len === 0) return true;
  // Cheap early exit: most data blocks have a non-zero first or last byte.
  if (block[0] !== 0 || block[len - 1] !== 0) return false;
  if (nativeCompare !== undefined) {
    if (zeros.length < len) zeros = new Uint8Array(Math.max(len, 1 << 17));
    return nativeCompare(block, zeros.subarray(0, len)) === 0;
  }
  return isAllZeroPortable(block);
}

/** The portable loop: 16 words OR-ed per step. Exported for tests. */
export function isAllZeroPortable(block: Uint8Array): boolean {
  const len = block.length;
  let i = 0;
  const head = (4 - (block.byteOffset & 3)) & 3;
  for (; i < head && i < len; i++) if (block[i] !== 0) return false;
  const words = (len - i) >>> 2;
  if (words > 0) {
    const u = new Int32Array(block.buffer, block.byteOffset + i, words);
    let k = 0;
    for (; k + 16 <= words; k += 16) {
      if ((u[k]! | u[k + 1]! | u[k + 2]! | u[k + 3]! | u[k + 4]! | u[k + 5]! | u[k + 6]! | u[k + 7]! | u[k + 8]! | u[k + 9]! | u[k + 10]! | u[k + 11]! | u[k + 12]! | u[k + 13]! | u[k + 14]! | u[k + 15]!) !== 0) {
        return false;
      }
    }
    for (; k < words; k++) if (u[k] !== 0) return false;
    i += words * 4;
  }
  for (; i < len; i++) if (block[i] !== 0) return false;
  return true;
}
