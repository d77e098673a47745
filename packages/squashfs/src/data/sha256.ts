/** A minimal incremental SHA-256 (FIPS 180-4) in plain JS, the portable default dedup hasher. */

export interface Hasher {
  update(bytes: Uint8Array): void;
  digest(): Uint8Array;
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export class Sha256 implements Hasher {
  private readonly h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  private readonly w = new Uint32Array(64);
  private readonly block = new Uint8Array(64);
  private fill = 0;
  private total = 0;
  private done = false;

  update(bytes: Uint8Array): void {
    if (this.done) throw new Error('Sha256: update after digest');
    this.total += bytes.length;
    let off = 0;
    if (this.fill > 0) {
      const n = Math.min(64 - this.fill, bytes.length);
      this.block.set(bytes.subarray(0, n), this.fill);
      this.fill += n;
      off = n;
      if (this.fill < 64) return;
      this.compress(this.block, 0);
      this.fill = 0;
    }
    while (bytes.length - off >= 64) {
      this.compress(bytes, off);
      off += 64;
    }
    if (off < bytes.length) {
      this.block.set(bytes.subarray(off), 0);
      this.fill = bytes.length - off;
    }
  }

  digest(): Uint8Array {
    if (this.done) throw new Error('Sha256: digest called twice');
    const bits = this.total * 8;
    const pad = new Uint8Array((this.fill < 56 ? 56 : 120) - this.fill + 8);
    pad[0] = 0x80;
    const hi = Math.floor(bits / 0x1_0000_0000);
    const lo = bits >>> 0;
    const n = pad.length;
    pad[n - 8] = hi >>> 24;
    pad[n - 7] = (hi >>> 16) & 0xff;
    pad[n - 6] = (hi >>> 8) & 0xff;
    pad[n - 5] = hi & 0xff;
    pad[n - 4] = lo >>> 24;
    pad[n - 3] = (lo >>> 16) & 0xff;
    pad[n - 2] = (lo >>> 8) & 0xff;
    pad[n - 1] = lo & 0xff;
    const total = this.total;
    this.update(pad);
    this.total = total;
    this.done = true;
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      const v = this.h[i]!;
      out[i * 4] = v >>> 24;
      out[i * 4 + 1] = (v >>> 16) & 0xff;
      out[i * 4 + 2] = (v >>> 8) & 0xff;
      out[i * 4 + 3] = v & 0xff;
    }
    return out;
  }

  private compress(p: Uint8Array, off: number): void {
    const w = this.w;
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      w[i] = (p[j]! << 24) | (p[j + 1]! << 16) | (p[j + 2]! << 8) | p[j + 3]!;
    }
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!;
      const b = w[i - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    const h = this.h;
    let a = h[0]!;
    let b = h[1]!;
    let c = h[2]!;
    let d = h[3]!;
    let e = h[4]!;
    let f = h[5]!;
    let g = h[6]!;
    let hh = h[7]!;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i]! + w[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = (h[0]! + a) | 0;
    h[1] = (h[1]! + b) | 0;
    h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + d) | 0;
    h[4] = (h[4]! + e) | 0;
    h[5] = (h[5]! + f) | 0;
    h[6] = (h[6]! + g) | 0;
    h[7] = (h[7]! + hh) | 0;
  }
}

export function sha256(bytes: Uint8Array): Uint8Array {
  const h = new Sha256();
  h.update(bytes);
  return h.digest();
}

interface NativeHash {
  update(bytes: Uint8Array): unknown;
  digest(): Uint8Array;
}

/** A {@link Hasher} over a node:crypto-style hash object (its digest may be a Buffer). */
export function hasherOf(h: NativeHash): Hasher {
  return {
    update(bytes) {
      h.update(bytes);
    },
    digest() {
      const out = h.digest();
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
  };
}
type CreateHash = (algorithm: 'sha256') => NativeHash;

/**
 * node:crypto where it is reachable without an import (Node >= 20.16, Deno and Bun expose
 * `process.getBuiltinModule`), found by feature detection; undefined elsewhere.
 */
function builtinCrypto(): { createHash?: unknown; hash?: unknown } | undefined {
  try {
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    if (typeof p?.getBuiltinModule !== 'function') return undefined;
    return p.getBuiltinModule('node:crypto') as { createHash?: unknown; hash?: unknown } | undefined;
  } catch {
    return undefined;
  }
}

const ABC = new Uint8Array([0x61, 0x62, 0x63]);
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

/** The native SHA-256 hash objects, if they give the same digest as ours. */
const nativeCreateHash: CreateHash | undefined = (() => {
  const createHash = builtinCrypto()?.createHash;
  if (typeof createHash !== 'function') return undefined;
  try {
    const probe = (createHash as CreateHash)('sha256');
    probe.update(ABC);
    const d = probe.digest();
    return toHex(d) === SHA256_ABC ? (createHash as CreateHash) : undefined;
  } catch {
    return undefined;
  }
})();

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** The writer's default dedup hasher: the native SHA-256 when reachable, else {@link Sha256}. */
export function defaultHasher(): Hasher {
  return nativeCreateHash === undefined ? new Sha256() : hasherOf(nativeCreateHash('sha256'));
}

type OneShotHash = (algorithm: string, data: Uint8Array) => string;

/** The runtime's one-shot `crypto.hash` (Node >= 20.12), if it gives the same digest as ours. */
const nativeHash: OneShotHash | undefined = (() => {
  const hash = builtinCrypto()?.hash;
  if (typeof hash !== 'function') return undefined;
  try {
    return (hash as OneShotHash)('sha256', ABC) === SHA256_ABC ? (hash as OneShotHash) : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * SHA-256 of one buffer as lowercase hex, in one native call where the runtime has `crypto.hash`
 * (no hash object per file: the small-file path hashes 25,000 files without garbage); undefined
 * elsewhere (callers use a {@link Hasher}). Same digest as {@link defaultHasher}.
 */
export const defaultDigestHex: ((bytes: Uint8Array) => string) | undefined = nativeHash === undefined ? undefined : (bytes) => nativeHash('sha256', bytes);
