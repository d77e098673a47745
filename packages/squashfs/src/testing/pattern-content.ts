import { contentFromBytes, contentFromFactory } from '../tree/content.js';
import type { FileContent } from '../tree/node.js';

/** What one block of generated content looks like. */
export type BlockPattern = 'zero' | 'random' | 'text' | 'repeat';

/**
 * A deterministic description of file content: block `i` follows `blocks[i % blocks.length]`,
 * random bytes come from `seed`. The same spec always yields the same bytes, so a tree can be
 * written to disk and encoded from one description.
 */
export interface ContentSpec {
  size: number;
  /** Length of one pattern block (use the image block size so 'zero' blocks are sparse blocks). */
  blockSize: number;
  blocks: readonly BlockPattern[];
  seed: number;
  /** Size of the chunks `open()` yields (the writer must cope with any). */
  chunkSize: number;
  /** Also expose `bytes` (content held in memory) instead of only a factory. */
  inMemory: boolean;
}

const TEXT = 'squashfs kubelet sysext flatcar block fragment inode\nzstd gzip containerd cni-plugins etc/extension-release.d ';

/** A 32-bit integer hash (murmur3 finalizer). */
function mix(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function seedFor(seed: number, block: number): number {
  const s = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(block + 1, 0xc2b2ae35)) >>> 0;
  return s === 0 ? 0x1234567 : s;
}

/** Fills `out` with the bytes of pattern block `block` starting at `from` within that block. */
function fillBlock(spec: ContentSpec, block: number, from: number, out: Uint8Array): void {
  const pattern = spec.blocks[block % spec.blocks.length] ?? 'zero';
  switch (pattern) {
    case 'zero':
      out.fill(0);
      return;
    case 'repeat': {
      const b = (block * 7 + spec.seed) & 0xff || 1;
      out.fill(b);
      return;
    }
    case 'random': {
      // Position-addressable (a hash per 4-byte word), so any chunking costs the same.
      const base = seedFor(spec.seed, block);
      let word = -1;
      let value = 0;
      for (let i = 0; i < out.length; i++) {
        const pos = from + i;
        const w = pos >>> 2;
        if (w !== word) {
          word = w;
          value = mix(base ^ Math.imul(w + 1, 0x9e3779b1));
        }
        out[i] = (value >>> ((pos & 3) * 8)) & 0xff;
      }
      return;
    }
    case 'text': {
      // Runs of 64 bytes copied from a fixed word list at a hashed start: compressible, not trivial.
      const base = seedFor(spec.seed, block);
      let run = -1;
      let start = 0;
      for (let i = 0; i < out.length; i++) {
        const pos = from + i;
        const r = Math.floor(pos / 64);
        if (r !== run) {
          run = r;
          start = mix(base ^ Math.imul(r + 1, 0x85ebca6b)) % TEXT.length;
        }
        out[i] = TEXT.charCodeAt((start + (pos % 64)) % TEXT.length);
      }
      return;
    }
  }
}

/** Yields the content of `spec` in chunks of `spec.chunkSize` bytes (the last may be shorter). */
export function* generateContent(spec: ContentSpec): Generator<Uint8Array> {
  const chunk = Math.max(1, spec.chunkSize);
  let offset = 0;
  while (offset < spec.size) {
    const len = Math.min(chunk, spec.size - offset);
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const at = offset + done;
      const block = Math.floor(at / spec.blockSize);
      const within = at - block * spec.blockSize;
      const take = Math.min(len - done, spec.blockSize - within);
      fillBlock(spec, block, within, out.subarray(done, done + take));
      done += take;
    }
    yield out;
    offset += len;
  }
}

/** All bytes of `spec` at once (for small specs). */
export function contentBytes(spec: ContentSpec): Uint8Array {
  const out = new Uint8Array(spec.size);
  let at = 0;
  for (const chunk of generateContent({ ...spec, chunkSize: Math.max(1, spec.size) })) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** The FileContent for a spec: re-openable, sized, and tagged with the spec for materialization. */
export function patternContent(spec: ContentSpec): FileContent & { readonly spec: ContentSpec } {
  const origin = `pattern(${spec.size}B,${spec.blocks.join('+')},seed=${spec.seed})`;
  const base = spec.inMemory ? contentFromBytes(contentBytes(spec), origin) : contentFromFactory(() => generateContent(spec), spec.size, origin);
  return { ...base, open: base.open.bind(base), spec };
}

/** The spec behind a FileContent made by `patternContent`, if it was. */
export function specOf(content: FileContent): ContentSpec | undefined {
  return (content as { spec?: ContentSpec }).spec;
}

/** True if pattern block `block` of the spec is all zeros (a sparse block when blockSize matches). */
export function isZeroBlock(spec: ContentSpec, block: number): boolean {
  const p = spec.blocks[block % spec.blocks.length];
  return p === 'zero';
}
