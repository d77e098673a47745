/**
 * addTar's content store and the Node spool: the same tree contents (so the same image) whether
 * contents stay in memory, go to the spool's temp file, or are read back from the archive itself;
 * the temp file exists only while needed and goes on close().
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tree, addTar, writeImageToBytes, type ContentStore, type FileContent } from '@sysext-bakery/squashfs';
import { createSpool, liveTempFilePaths } from '@sysext-bakery/squashfs/node';
import { tempDir } from './input-fixture.js';

let work: string;
let archive: string;
let gzArchive: string;

/** Deterministic bytes (compressible, but not trivially). */
function bytes(size: number, seed: number): Uint8Array {
  let x = seed * 2654435761;
  return Uint8Array.from({ length: size }, (_, i) => {
    x = (x * 1103515245 + 12345) >>> 0;
    return i % 7 === 0 ? x >>> 24 : 97 + (i % 13);
  });
}

beforeAll(() => {
  work = tempDir('spool');
  const src = join(work, 'src');
  mkdirSync(join(src, 'usr/bin'), { recursive: true });
  mkdirSync(join(src, 'usr/share/doc'), { recursive: true });
  // Sizes around the 4 MiB piece size, a block, small files, an empty one, a duplicate.
  const files: Record<string, number> = { 'usr/bin/big': (4 << 20) + 3, 'usr/bin/mid': 300_000, 'usr/share/doc/a': 10, 'usr/share/doc/b': 5000, 'usr/share/doc/empty': 0 };
  let seed = 1;
  for (const [p, size] of Object.entries(files)) writeFileSync(join(src, p), bytes(size, seed++));
  writeFileSync(join(src, 'usr/share/doc/a-copy'), bytes(10, 3));
  archive = join(work, 'a.tar');
  execFileSync('tar', ['-C', src, '-cf', archive, '--format=gnu', '--sort=name', '.']);
  gzArchive = join(work, 'a.tgz');
  execFileSync('tar', ['-C', src, '-czf', gzArchive, '--format=gnu', '--sort=name', '.']);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The image of a tree, as its SHA-256 (comparing the bytes themselves with toEqual is slow). */
async function digest(tree: Tree): Promise<string> {
  return createHash('sha256').update(await writeImageToBytes(tree, { mkfsTime: 0, compression: 'none' })).digest('hex');
}

async function image(input: string, store?: ContentStore): Promise<string> {
  const tree = new Tree();
  await addTar(tree, createReadStream(input, { highWaterMark: 65_536 }), store === undefined ? {} : { store });
  return digest(tree);
}

describe('createSpool', () => {
  it('spools past its memory limit, gives the same image, and removes its file on close()', async () => {
    const inMemory = await image(archive);
    for (const memoryLimit of [0, 20_000, 1 << 30]) {
      const dir = join(work, `out-${memoryLimit}`);
      mkdirSync(dir);
      const spool = createSpool(dir, { memoryLimit, name: 'x.raw' });
      const tree = new Tree();
      await addTar(tree, createReadStream(gzArchive), { store: spool });
      await spool.flush();
      if (memoryLimit === 1 << 30) {
        expect(spool.path).toBeUndefined();
        expect(readdirSync(dir)).toEqual([]);
      } else {
        // Everything past the limit is in the file (all of it with 0; the first small files stay in memory otherwise).
        expect(spool.spooled).toBeGreaterThan(memoryLimit === 0 ? (4 << 20) + 300_000 + 5000 : (4 << 20));
        expect(readdirSync(dir)).toEqual([expect.stringMatching(/^\.x\.raw\.spool-[0-9a-f]{12}$/)]);
        expect(liveTempFilePaths()).toContain(spool.path);
      }
      expect(await digest(tree)).toBe(inMemory);
      const path = spool.path;
      await spool.close();
      await spool.close(); // idempotent
      expect(readdirSync(dir)).toEqual([]);
      if (path !== undefined) {
        expect(liveTempFilePaths()).not.toContain(path);
        // A spooled content cannot be read once its spool is gone.
        const big = tree.get('usr/bin/big') as { content: FileContent };
        expect(() => [...(big.content.open() as Iterable<Uint8Array>)]).toThrow(/spool was closed/);
      }
    }
  });

  it('reads an uncompressed archive again instead of keeping anything (archive option)', async () => {
    const inMemory = await image(archive);
    const dir = join(work, 'out-archive');
    mkdirSync(dir);
    const spool = createSpool(dir, { memoryLimit: 0, archive });
    expect(await image(archive, spool)).toBe(inMemory);
    expect(spool.path).toBeUndefined();
    expect(spool.spooled).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    await spool.close();
    expect(existsSync(archive)).toBe(true);
  });

  it('addTar refuses a store that does not read a file to its end', async () => {
    const lazy: ContentStore = { store: async (size, origin) => ({ size, origin, open: () => [] }) };
    await expect(image(archive, lazy)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/did not read all of/) });
  });
});
