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
  formatReport,
  materializeTree,
  mksquashfsReference,
  type OracleName,
  which,
} from '@sysext-bakery/squashfs/testing';

// These self-tests build reference images with mksquashfs; without it they cannot run at all.
const hasMksquashfs = (await which('mksquashfs')) !== undefined;
if (!hasMksquashfs) console.warn('[oracle-selftest] SKIPPED LOUDLY: mksquashfs is not on PATH (apt-get install squashfs-tools)');

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

describe.skipIf(!hasMksquashfs)('checkImage on mksquashfs images of materialized trees (self-test of the oracles)', () => {
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
  }, 120_000 + RUNS * 20_000);
});

describe.skipIf(!hasMksquashfs)('checkImage catches a wrong image (negative self-test)', () => {
  it('reports a changed mtime, mode and missing entry from every available oracle', async () => {
    const tree = new Tree({ root: { mtime: 1_000_000 } });
    tree.file('etc/os-release', 'ID=flatcar\n', { mode: 0o644, mtime: 1_700_000_000 });
    tree.file('usr/bin/tool', new Uint8Array(10_000).fill(7), { mode: 0o755, mtime: 1_700_000_001 });
    tree.symlink('usr/bin/alias', 'tool', { mtime: 1_700_000_002 });
    tree.dir('usr', { mtime: 5 });
    tree.dir('usr/bin', { mtime: 6 });
    tree.dir('etc', { mtime: 7 });
    const dir = join(work, 'neg');
    const img = join(work, 'neg.sqfs');
    await materializeTree(tree, dir);
    await mksquashfsReference(dir, img);
    const good = await checkImage(img, tree);
    expect(formatReport({ ...good, unavailable: [] })).toBe('');

    // Mutate the expectation after the image was built: every oracle that ran must notice.
    tree.get('usr/bin/tool')!.meta.mtime += 60;
    tree.get('etc/os-release')!.meta.mode = 0o600;
    tree.file('etc/missing', 'x', { mtime: 1_700_000_000 });
    const bad = await checkImage(img, tree);
    for (const result of bad.results) {
      if (result.status === 'unavailable') {
        console.warn(`[oracle-selftest] ORACLE ${result.oracle} UNAVAILABLE, negative check skipped: ${result.reason}`);
        continue;
      }
      const text = result.differences.map((d) => `${d.path ?? ''}: ${d.message}`).join('\n');
      expect(result.status, `${result.oracle} should fail`).toBe('fail');
      expect(text, result.oracle).toMatch(/usr\/bin\/tool/);
      expect(text, result.oracle).toMatch(/etc\/missing/);
      if (result.oracle !== 'sqfsdiff') expect(text, result.oracle).toMatch(/etc\/os-release/);
    }
  });
});
