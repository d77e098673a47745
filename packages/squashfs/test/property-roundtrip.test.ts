import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { writeImage, type WriteOptions } from '@sysext-bakery/squashfs';
import { createFileSink, nodeCodecs } from '@sysext-bakery/squashfs/node';
import { arbTree, availableOracles, checkImage, formatReport, type CheckOptions, type OracleName } from '@sysext-bakery/squashfs/testing';

// Property: whatever tree and options, the image our writer produces reads back identically in
// unsquashfs, sqfsdiff (against mksquashfs), rdsquashfs, 7-Zip, the kernel and our reader.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 10);
// Each run writes an image and runs six oracles (a few processes each): allow for slow, busy machines.
const TIMEOUT = 120_000 + RUNS * 30_000;
let work: string;
let counter = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'prop-roundtrip-'));
  const available = await availableOracles();
  for (const [name, status] of Object.entries(available)) {
    if (status !== true) console.warn(`[property-roundtrip] ORACLE ${name} UNAVAILABLE, not checked: ${status}`);
  }
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Case {
  compression: 'gzip' | 'zstd';
  blockSize: number;
  fragments: boolean;
  tailEnds: boolean;
  dedup: boolean;
  xattrs: boolean;
  allRoot: boolean;
  /** SOURCE_DATE_EPOCH-style clamp of inode mtimes (-1: none). */
  clamp: number;
}

function arbCase(compression: Case['compression']): fc.Arbitrary<Case> {
  return fc.record({
    compression: fc.constant(compression),
    blockSize: fc.constantFrom(4096, 8192, 32768, 131072),
    fragments: fc.boolean(),
    tailEnds: fc.boolean(),
    dedup: fc.boolean(),
    xattrs: fc.boolean(),
    allRoot: fc.boolean(),
    clamp: fc.oneof(fc.constant(-1), fc.constant(-1), fc.integer({ min: 0, max: 0xffff_ffff })),
  });
}

async function roundTrip(c: Case, tree: Parameters<typeof writeImage>[0], oracles?: readonly OracleName[]): Promise<void> {
  const image = join(work, `case-${counter++}.sqfs`);
  const { clamp, ...rest } = c;
  const clampMtime = clamp >= 0 ? { clampMtime: clamp } : {};
  const options: WriteOptions = { ...rest, ...clampMtime, codecs: nodeCodecs, level: c.compression === 'gzip' ? 6 : 3 };
  await writeImage(tree, await createFileSink(image), options);
  const check: CheckOptions = { ...rest, ...clampMtime, ...(oracles === undefined ? {} : { oracles }) };
  const report = await checkImage(image, tree, check);
  await rm(image, { force: true });
  if (report.differences.length > 0) throw new Error(`${JSON.stringify(c)}\n${formatReport(report)}`);
}

describe('writeImage round trip against every oracle', () => {
  for (const compression of ['gzip', 'zstd'] as const) {
    it(`${compression}: arbitrary trees and options`, async () => {
      await fc.assert(
        fc.asyncProperty(
          arbCase(compression).chain((c) => fc.tuple(fc.constant(c), arbTree({ blockSize: c.blockSize, maxEntries: 14, maxFileBlocks: 3 }))),
          async ([c, tree]) => roundTrip(c, tree),
        ),
        { numRuns: RUNS },
      );
    }, TIMEOUT);
  }

  it('a large directory (700 entries: several metadata blocks and index entries)', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbCase('gzip').chain((c) => fc.tuple(fc.constant(c), arbTree({ blockSize: c.blockSize, maxEntries: 4, largeDirs: 700, xattrs: false }))),
        async ([c, tree]) => roundTrip(c, tree),
      ),
      { numRuns: Math.max(1, Math.ceil(RUNS / 5)) },
    );
  }, TIMEOUT);
});
