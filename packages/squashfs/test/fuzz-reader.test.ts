/**
 * Fuzzing the reader with mutated tool-made images: bit flips, byte writes, truncation and
 * field-aware corruption (superblock fields, table pointers, metadata headers, inode fields,
 * directory headers). Every outcome must be success or a SquashfsError, within a time bound, and
 * verifyImage must never throw and never pass an image the reader cannot fully read.
 *
 * `npm test` runs FUZZ_RUNS_DEFAULT cases; `FUZZ_RUNS=5000 npx vitest run packages/squashfs/test/fuzz-reader.test.ts` runs more.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cleanup, have, tempDir } from './fuzz/images.js';
import { applyMutation, loadSeeds, writeSeedFiles, describe as describeMutation, exercise, verifySafely, withTimeout, type Mutation, type Seed } from './fuzz/harness.js';

const FUZZ_RUNS_DEFAULT = 240;
const runs = Number(process.env['FUZZ_RUNS'] ?? FUZZ_RUNS_DEFAULT);
const regenerate = process.env['REGENERATE_FUZZ_SEEDS'] === '1';

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), flips: fc.array(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('bytes' as const), writes: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('truncate' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }) }),
  fc.record({
    kind: fc.constant('field' as const),
    field: fc.nat(),
    mode: fc.constantFrom('set' as const, 'add' as const),
    value: fc.oneof(
      fc.constantFrom(0, 1, 2, 3, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 8192, 8193, 0x1000000, 0x7fffffff, 0xffffffff, 2 ** 32, 2 ** 53 - 1),
      fc.integer({ min: 0, max: 0xffffffff }),
    ),
    delta: fc.integer({ min: -300, max: 300 }),
  }),
  // field mutations weigh double: they reach past the decompressors
  fc.record({
    kind: fc.constant('field' as const),
    field: fc.nat(),
    mode: fc.constant('add' as const),
    value: fc.constant(0),
    delta: fc.constantFrom(-16, -8, -4, -2, -1, 1, 2, 4, 8, 16, 8192, -8192),
  }),
);

describe.runIf(regenerate)('fuzz seed images', () => {
  it('regenerates test/fuzz/seeds/*.sqfs with mksquashfs and gensquashfs', () => {
    expect(have('mksquashfs') && have('gensquashfs')).toBe(true);
    const dir = tempDir('h2-seeds-');
    try {
      writeSeedFiles(dir);
    } finally {
      cleanup(dir);
    }
  });
});

describe.skipIf(regenerate)('reader fuzz', () => {
  let seeds: Seed[] = [];
  beforeAll(async () => {
    seeds = await loadSeeds();
  });

  it('seed images read and verify cleanly', async () => {
    for (const seed of seeds) {
      expect((await exercise(seed.bytes)).ok, seed.name).toBe(true);
      const report = await verifySafely(seed.bytes);
      expect(report.problems, seed.name).toEqual([]);
      expect(seed.fields.length).toBeGreaterThan(20);
    }
  });

  it(`mutated images end in success or SquashfsError (${runs} cases)`, async () => {
    const outcomes = { ok: 0, corrupt: 0, other: 0, verifyOk: 0 };
    await fc.assert(
      fc.asyncProperty(fc.nat(), mutation, async (seedIndex, m) => {
        const seed = seeds[seedIndex % seeds.length]!;
        const bytes = applyMutation(seed, m);
        const what = describeMutation(seed, m);
        const outcome = await withTimeout(exercise(bytes), 10_000, `reading (${what})`);
        if (outcome.ok) outcomes.ok++;
        else if (outcome.error.code === 'CORRUPT_IMAGE') {
          outcomes.corrupt++;
          // a corrupt-image error names its structure and offset
          expect(typeof outcome.error.structure, what).toBe('string');
          expect(typeof outcome.error.offset, what).toBe('number');
        } else outcomes.other++;
        const report = await withTimeout(verifySafely(bytes), 10_000, `verifying (${what})`);
        if (report.ok) {
          outcomes.verifyOk++;
          // verify passing means every entry point works on this image
          if (!outcome.ok && outcome.error.code !== 'LIMIT_EXCEEDED') {
            throw new Error(`verify passed but reading failed: ${outcome.error.message} (${what})`);
          }
        } else {
          expect(report.problems.length).toBeGreaterThan(0);
          for (const p of report.problems) expect(typeof p.offset).toBe('number');
        }
      }),
      { numRuns: runs, endOnFailure: true },
    );
    console.info(`fuzz-reader: ${runs} cases: ${JSON.stringify(outcomes)}`);
    expect(outcomes.corrupt).toBeGreaterThan(0);
  }, Math.max(600_000, runs * 250));
});
