import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tree, writeImage } from '@sysext-bakery/squashfs';
import { createFileSink, nodeCodecs } from '@sysext-bakery/squashfs/node';
import { ORDER_TRAP_NAMES, arbTree, checkImage, formatReport, kernelMountUnavailable, patternContent } from '@sysext-bakery/squashfs/testing';

// The kernel is the reader that matters for sysext images: loop-mount our images read-only and
// walk them (name lookups, readdir order, stat, nlink, inode numbers, data, xattrs).
const why = await kernelMountUnavailable();
const canMount = why === undefined;
if (!canMount) console.warn(`[kernel-mount] SKIPPED LOUDLY: the kernel oracle cannot run here: ${why}`);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 10);
let work: string;
let n = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kernel-mount-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function mountCheck(tree: Tree, options: Parameters<typeof writeImage>[2] = {}): Promise<string> {
  const image = join(work, `k${n++}.sqfs`);
  await writeImage(tree, await createFileSink(image), { codecs: nodeCodecs, ...options });
  const report = await checkImage(image, tree, {
    oracles: ['kernel'],
    ...(options.allRoot === undefined ? {} : { allRoot: options.allRoot }),
    ...(options.xattrs === undefined ? {} : { xattrs: options.xattrs }),
  });
  await rm(image, { force: true });
  return formatReport(report);
}

describe.skipIf(!canMount)('kernel loop mount of our images', () => {
  for (const compression of ['gzip', 'zstd'] as const) {
    for (const blockSize of [4096, 1 << 20]) {
      it(`${compression}, ${blockSize}-byte blocks: order traps, hard links, sparse and fragment data, xattrs`, async () => {
        const tree = new Tree({ root: { mtime: 1_700_000_000 } });
        for (const name of ORDER_TRAP_NAMES) tree.file(`traps/${name}`, name, { mtime: 1 });
        const big = patternContent({ size: 3 * blockSize + 17, blockSize, blocks: ['random', 'zero', 'text'], seed: 7, chunkSize: 65536, inMemory: false });
        tree.file('data/big', big, { xattrs: { 'user.mime_type': 'application/octet-stream', 'trusted.t': new Uint8Array([0, 255]) } });
        tree.link('data/big-link', 'data/big');
        tree.file('data/small', 'tail', { mode: 0o4755, uid: 65534, gid: 4_000_000_000 });
        tree.symlink('data/sym', '../traps/z', { xattrs: { 'security.test': 'x' } });
        tree.device('dev/null', 'char', 1, 3);
        expect(await mountCheck(tree, { compression, blockSize })).toBe('');
      });
    }
  }

  it('arbitrary trees mount and read back exactly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('gzip' as const, 'zstd' as const), arbTree({ maxEntries: 16 }), async (compression, tree) => {
        const text = await mountCheck(tree, { compression, blockSize: 4096 });
        if (text !== '') throw new Error(text);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  }, 120_000 + RUNS * 15_000);

  it('notices an image that does not match its tree (negative control)', async () => {
    const tree = new Tree();
    tree.file('a', 'x', { mtime: 5 });
    const image = join(work, 'neg.sqfs');
    await writeImage(tree, await createFileSink(image), { codecs: nodeCodecs });
    tree.get('a')!.meta.mtime = 6;
    tree.file('b', 'y');
    const report = await checkImage(image, tree, { oracles: ['kernel'] });
    expect(report.results[0]!.status).toBe('fail');
    expect(formatReport(report)).toMatch(/"a": mtime: expected 6, got 5/);
    expect(formatReport(report)).toMatch(/"b": missing/);
  });
});

it('reports why the kernel oracle is unavailable, or that it is available', () => {
  // Keeps this file from being silently empty where mounting is impossible.
  expect(canMount || typeof why === 'string').toBe(true);
});
