/**
 * Decompressors on hostile input: any corruption of a valid block either throws or yields at most
 * maxSize bytes (never more, never a hang), for the portable and the Node decompressors alike.
 */
import zlib from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { portableCodecs, ready, type Decompressor } from '@sysext-bakery/squashfs';
import { nodeCodecs } from '@sysext-bakery/squashfs/node';

function sample(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i & 255) < 200 ? 97 + ((i * 7 + seed) % 13) : (Math.imul(i, 2654435761) >>> 24) ^ seed;
  return out;
}

const MAX = 32 * 1024;
const originals: Record<number, Uint8Array[]> = { 1: [], 6: [] };

beforeAll(async () => {
  await ready();
  const zstd = portableCodecs.createCodec('zstd', { level: 3 });
  for (let seed = 0; seed < 4; seed++) {
    const block = sample(MAX - seed * 1000, seed);
    originals[1]!.push(new Uint8Array(zlib.deflateSync(block)));
    originals[6]!.push((await zstd.compress(block))!);
  }
});

const mutation = fc.record({
  which: fc.nat(3),
  edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }),
  cut: fc.option(fc.nat(), { nil: undefined }),
  maxSize: fc.constantFrom(0, 1, 4096, MAX - 1, MAX),
});

function check(decompressor: Decompressor, id: 1 | 6): void {
  fc.assert(
    fc.property(mutation, ({ which, edits, cut, maxSize }) => {
      const bytes = new Uint8Array(originals[id]![which]!);
      for (const { at, value } of edits) bytes[at % bytes.length] = value;
      const input = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length);
      let out: Uint8Array | undefined;
      try {
        out = decompressor.decompress(input, maxSize);
      } catch {
        return;
      }
      expect(out.length).toBeLessThanOrEqual(maxSize);
    }),
    { numRuns: 100, seed: 20261126 + id },
  );
}

describe.each([
  ['portable', portableCodecs],
  ['node', nodeCodecs],
] as const)('%s decompressors', (_name, provider) => {
  it('gzip: corrupted or cut streams throw or stay within maxSize', () => check(provider.decompressor(1)!, 1));
  it('zstd: corrupted or cut frames throw or stay within maxSize', () => check(provider.decompressor(6)!, 6));
});
