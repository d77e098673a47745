/**
 * The writer's output through verifyImage and the reader: random trees (fast-check, the
 * ./testing arbitraries) written with gzip and zstd must verify cleanly (kernel and unsquashfs
 * rules) and read back with the same paths, kinds, modes, owners, sizes, targets and contents.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SquashfsImage, sourceFromBytes, verifyImage, walkTree, writeImageToBytes, type FsNode, type Tree } from '@sysext-bakery/squashfs';
import { arbTree } from '@sysext-bakery/squashfs/testing';

const RUNS = Number(process.env['VERIFY_WRITER_RUNS'] ?? 8);

async function contentOf(node: FsNode): Promise<Uint8Array | undefined> {
  if (node.kind !== 'file') return undefined;
  const parts: Uint8Array[] = [];
  for await (const c of node.content.open()) parts.push(c);
  return Buffer.concat(parts);
}

async function check(tree: Tree, compression: 'gzip' | 'zstd', blockSize: number): Promise<void> {
  const bytes = await writeImageToBytes(tree, { compression, blockSize, mkfsTime: 0 });
  const report = await verifyImage(sourceFromBytes(bytes), { all: true });
  expect(report.problems).toEqual([]);
  const img = await SquashfsImage.open(sourceFromBytes(bytes));
  const expected = [...walkTree(tree.root)];
  const seen = [];
  for await (const st of img.walk()) seen.push(st);
  expect(seen.map((s) => s.path)).toEqual(expected.map(([p]) => p));
  for (let i = 0; i < seen.length; i++) {
    const st = seen[i]!;
    const [, node] = expected[i]!;
    expect(st.kind, st.path).toBe(node.kind);
    if (node.kind === 'blockdev' || node.kind === 'chardev') expect([st.major, st.minor], st.path).toEqual([node.major, node.minor]);
    expect(st.mode, st.path).toBe(node.meta.mode & 0o7777);
    expect([st.uid, st.gid], st.path).toEqual([node.meta.uid, node.meta.gid]);
    if (node.kind === 'symlink') expect(st.target).toBe(node.target);
    const data = await contentOf(node);
    if (data !== undefined) expect(Buffer.from(await img.readFile(st.path)).equals(data), st.path).toBe(true);
  }
}

describe('writer output passes verifyImage', () => {
  for (const compression of ['gzip', 'zstd'] as const) {
    it(`random trees, ${compression}, 4 KiB blocks (${RUNS} runs)`, async () => {
      await fc.assert(fc.asyncProperty(arbTree({ maxEntries: 24, blockSize: 4096 }), (tree) => check(tree, compression, 4096)), { numRuns: RUNS });
    });
  }
});
