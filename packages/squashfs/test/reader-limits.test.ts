/**
 * Reader limits: a lying size cannot make the reader allocate for it, readFile is bounded while
 * createReadStream is not, and tiny caches give the same answers as the defaults.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SquashfsError, SquashfsImage, sourceFromBytes, type EntryStat, type ReaderLimits } from '@sysext-bakery/squashfs';
import { SEED_DIR } from './fuzz/harness.js';

const seed = (name: string) => new Uint8Array(readFileSync(`${SEED_DIR}${name}.sqfs`));
const open = (b: Uint8Array, limits?: ReaderLimits) => SquashfsImage.open(sourceFromBytes(b), limits === undefined ? {} : { limits });

async function snapshot(img: SquashfsImage): Promise<{ entries: EntryStat[]; data: Map<string, string> }> {
  const entries: EntryStat[] = [];
  const data = new Map<string, string>();
  for await (const st of img.walk()) {
    entries.push(st);
    if (st.kind === 'file') data.set(st.path, Buffer.from(await img.readFile(st.path)).toString('base64'));
  }
  return { entries, data };
}

describe('reader limits', () => {
  it('rejects a file size whose block list cannot exist, without allocating for it', async () => {
    const b = seed('mksquashfs-uncompressed');
    const img = await open(b);
    const st = await img.stat('small');
    expect(st.inodeType).toBe(9); // hard-linked: extended inode with a u64 size at +24
    const at = img.superblock.inodeTableStart + 2 + (st.inodeRef % 65536) + 24;
    new DataView(b.buffer, b.byteOffset).setBigUint64(at, 1n << 50n, true);
    const error = await (await open(b)).stat('small').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SquashfsError);
    expect((error as SquashfsError).code).toBe('LIMIT_EXCEEDED');
    expect((error as SquashfsError).structure).toBe('inode table');
    // with the limit lifted, the list runs into the end of the inode table instead
    const lifted = await (await open(b, { maxBlocksPerFile: 2 ** 40 })).stat('small').catch((e: unknown) => e);
    expect((lifted as SquashfsError).code).toBe('CORRUPT_IMAGE');
  });

  it('bounds readFile but streams any size', async () => {
    const img = await open(seed('mksquashfs-gzip'), { maxReadFileBytes: 1000 });
    const error = await img.readFile('d/two-blocks').catch((e: unknown) => e);
    expect((error as SquashfsError).code).toBe('LIMIT_EXCEEDED');
    const chunks: Uint8Array[] = [];
    for await (const c of img.createReadStream('d/two-blocks')) chunks.push(c);
    expect(chunks.map((c) => c.length)).toEqual([4096, 4096, 100]);
  });

  it('gives the same answers with one-entry caches', async () => {
    for (const name of ['mksquashfs-gzip', 'gensquashfs-zstd', 'mksquashfs-zstd-noI-tailends']) {
      const b = seed(name);
      const normal = await snapshot(await open(b));
      const tiny = await snapshot(await open(b, { metadataCacheBlocks: 1, listingCacheSize: 1 }));
      expect(tiny).toEqual(normal);
      expect(normal.entries.length).toBeGreaterThan(50);
    }
  });

  it('rejects a symlink target above maxSymlinkBytes and directories above maxDirectoryEntries', async () => {
    const b = seed('mksquashfs-gzip');
    await expect((await open(b, { maxSymlinkBytes: 3 })).stat('link')).rejects.toThrow(/symlink target of 5 bytes \(limit 3\)/);
    await expect((await open(b, { maxDirectoryEntries: 10 })).readdir('d')).rejects.toThrow(/more than 10 entries/);
  });
});
