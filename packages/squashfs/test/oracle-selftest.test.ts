import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tree } from '@sysext-bakery/squashfs';
import {
  arbTree,
  availableOracles,
  checkImage,
  describeTree,
  formatReport,
  materializeTree,
  mksquashfsReference,
  type OracleName,
} from '@sysext-bakery/squashfs/testing';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 8);
let work: string;
let available: Record<OracleName, true | string>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oracle-selftest-'));
  available = await availableOracles();
  for (const [name, status] of Object.entries(available)) {
    if (status !== true) console.warn(`[oracle-selftest] oracle ${name} unavailable: ${status}`);
  }
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('checkImage on mksquashfs images of materialized trees (self-test of the oracles)', () => {
  it('passes every available oracle for arbitrary trees', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(arbTree({ maxEntries: 12, hardlinkTargets: ['file', 'blockdev', 'chardev', 'fifo', 'socket'] }), async (tree) => {
        const dir = join(work, `t${n}`);
        const img = join(work, `t${n++}.sqfs`);
        await materializeTree(tree, dir);
        await mksquashfsReference(dir, img, { blockSize: 4096 });
        const report = await checkImage(img, tree, { blockSize: 4096 });
        await rm(dir, { recursive: true, force: true });
        await rm(img, { force: true });
        if (report.differences.length > 0) throw new Error(formatReport(report));
      }),
      { numRuns: RUNS },
    );
  });
});
