import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tree, contentFromFactory } from '@sysext-bakery/squashfs';
import { buildSysext } from '@sysext-bakery/sysext';

// Issue 6: several images built at once in one process must come out byte-identical to the same
// images built one by one: shared codecs, worker pools and the libuv pool must not leak state
// (order, options, buffers) from one build into another.

/** Deterministic, partly compressible bytes. */
function bytes(seed: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = i % 7 === 0 ? x >>> 24 : 65 + (i % 23);
  }
  return out;
}

function makeTree(seed: number): Tree {
  const tree = new Tree();
  const big = bytes(seed, 700_000 + seed * 4099);
  // A re-openable source streamed in odd chunks, so reads interleave between builds.
  tree.file('usr/bin/tool', contentFromFactory(function* () {
    for (let i = 0; i < big.length; i += 65_521) yield big.subarray(i, i + 65_521);
  }, big.length), { mode: 0o755 });
  for (let i = 0; i < 40; i++) tree.file(`usr/share/demo-${seed}/f${i}`, bytes(seed + i, 100 + i * 97));
  tree.file(`usr/share/demo-${seed}/dup`, bytes(seed, 5000));
  tree.file(`usr/share/demo-${seed}/dup2`, bytes(seed, 5000));
  tree.symlink('usr/bin/tool-link', 'tool');
  return tree;
}

describe('parallel builds in one process', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bakery-parallel-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([['gzip'], ['zstd']] as const)('%s: six images at once equal the same six built one by one', async (compression) => {
    const seeds = [1, 2, 3, 4, 5, 1]; // the last repeats the first: two identical builds racing
    const build = (seed: number, i: number, tag: string) =>
      buildSysext({ name: `demo${seed}`, arch: 'x86-64', files: makeTree(seed), compression, output: join(dir, `${tag}-${compression}-${i}.raw`) });

    for (const [i, seed] of seeds.entries()) await build(seed, i, 'serial');
    await Promise.all(seeds.map((seed, i) => build(seed, i, 'parallel')));

    for (const i of seeds.keys()) {
      const serial = await readFile(join(dir, `serial-${compression}-${i}.raw`));
      const parallel = await readFile(join(dir, `parallel-${compression}-${i}.raw`));
      expect(parallel.length, `image ${i}`).toBe(serial.length);
      expect(Buffer.compare(parallel, serial), `image ${i} differs`).toBe(0);
    }
    // The two builds of seed 1 are identical too, and differ from the others.
    const first = await readFile(join(dir, `parallel-${compression}-0.raw`));
    const again = await readFile(join(dir, `parallel-${compression}-5.raw`));
    const other = await readFile(join(dir, `parallel-${compression}-1.raw`));
    expect(Buffer.compare(first, again)).toBe(0);
    expect(Buffer.compare(first, other)).not.toBe(0);
  });
});
