/** True when every byte of `block` is zero (a sparse block). Word-wise where the alignment allows. */
export function isAllZero(block: Uint8Array): boolean {
  const len = block.length;
  let i = 0;
  const head = (4 - (block.byteOffset & 3)) & 3;
  for (; i < head && i < len; i++) if (block[i] !== 0) return false;
  const words = (len - i) >>> 2;
  if (words > 0) {
    const u32 = new Uint32Array(block.buffer, block.byteOffset + i, words);
    // Check the first and last word first: most data blocks fail immediately.
    if (u32[0] !== 0 || u32[words - 1] !== 0) return false;
    for (let k = 0; k < words; k++) if (u32[k] !== 0) return false;
    i += words * 4;
  }
  for (; i < len; i++) if (block[i] !== 0) return false;
  return true;
}
