/** Dedup, mtimes, flags and codecs, checked through unsquashfs and the decoded image. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tree, contentFromFactory, squashfsFormat as F, type WriteOptions } from '@sysext-bakery/squashfs';
import { BS, kitchenSink, makeTempDir, pattern, run, sqfsdiff, writeToFile } from './writer-helpers.js';

function inodesOf(bytes: Uint8Array): F.InodeRecord[] {
  const sb = F.decodeSuperblock(bytes);
  const { data } = F.readMetadataBlocks(bytes.subarray(sb.inodeTableStart, sb.directoryTableStart), (d) => new Uint8Array(inflateSync(d)));
  const out: F.InodeRecord[] = [];
  for (let pos = 0; pos < data.length; ) {
    const { inode, length } = F.decodeInode(data, pos, sb.blockSize);
    out.push(inode);
    pos += length;
  }
  return out;
}

/** node:crypto SHA-256 as WriteOptions.hasher, counting the bytes it is given. */
function countingHasher(): { hasher: NonNullable<WriteOptions['hasher']>; hashed: () => number } {
  let hashed = 0;
  const hasher: NonNullable<WriteOptions['hasher']> = () => {
    const h = createHash('sha256');
    return { update: (b) => ((hashed += b.length), h.update(b)), digest: () => new Uint8Array(h.digest()) };
  };
  return { hasher, hashed: () => hashed };
}

describe('writer features', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir('feat');
  });
  afterAll(() => tmp.cleanup());

  it('dedup uses the full content: same first block or same size is not enough', async () => {
    const a = pattern(3 * BS + 100, 1);
    const sameFirstBlock = a.slice();
    sameFirstBlock[2 * BS + 5] ^= 1;
    const sameTailOnly = a.slice();
    sameTailOnly[10] ^= 1;
    const t = new Tree();
    t.file('a', a);
    t.file('b-copy', a.slice());
    t.file('c-first-block-equal', sameFirstBlock);
    t.file('d-tail-equal', sameTailOnly);
    t.file('e-streamed-copy', contentFromFactory(() => [a.subarray(0, 5), a.subarray(5)], a.length));
    t.file('f-small', 'small');
    t.file('g-small-copy', 'small');
    const img = join(tmp.dir, 'dedup.sqfs');
    const { result, bytes } = await writeToFile(t, img, { blockSize: BS });
    expect(result.duplicates).toBe(3);
    const regs = inodesOf(bytes).filter((i): i is Extract<F.InodeRecord, { kind: 'reg' }> => i.kind === 'reg');
    const byIno = new Map(regs.map((r) => [r.header.inodeNumber, r]));
    // pre-order numbering: a=1, b=2, c=3, d=4, e=5, f=6, g=7
    expect(byIno.get(2)!.startBlock).toBe(byIno.get(1)!.startBlock);
    expect([byIno.get(2)!.fragment, byIno.get(2)!.offset]).toEqual([byIno.get(1)!.fragment, byIno.get(1)!.offset]);
    expect(byIno.get(5)!.startBlock).toBe(byIno.get(1)!.startBlock);
    expect(byIno.get(3)!.startBlock).not.toBe(byIno.get(1)!.startBlock);
    expect(byIno.get(4)!.startBlock).not.toBe(byIno.get(1)!.startBlock);
    expect([byIno.get(7)!.fragment, byIno.get(7)!.offset]).toEqual([byIno.get(6)!.fragment, byIno.get(6)!.offset]);
    const out = join(tmp.dir, 'dedup-x');
    expect(run('unsquashfs', ['-d', out, img]).status).toBe(0);
    expect(readFileSync(join(out, 'c-first-block-equal')).equals(Buffer.from(sameFirstBlock))).toBe(true);
    expect(readFileSync(join(out, 'd-tail-equal')).equals(Buffer.from(sameTailOnly))).toBe(true);
    expect(readFileSync(join(out, 'b-copy')).equals(Buffer.from(a))).toBe(true);
    // Without dedup: no sharing, and a larger image.
    const { result: r2, bytes: b2 } = await writeToFile(t, join(tmp.dir, 'nodedup.sqfs'), { blockSize: BS, dedup: false });
    expect(r2.duplicates).toBe(0);
    expect(b2.length).toBeGreaterThanOrEqual(bytes.length);
    expect(F.decodeSuperblock(b2).flags & F.SQUASHFS_DUPLICATES).toBe(0);
    expect(F.decodeSuperblock(bytes).flags & F.SQUASHFS_DUPLICATES).not.toBe(0);
  });

  it('a declared sha256 is the dedup identity: no hashing of that content, shared with identical hashed files', async () => {
    const big = pattern(3 * BS + 100, 7);
    const small = pattern(900, 8);
    const digest = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
    const declared = (b: Uint8Array, chunked = false) => ({
      ...contentFromFactory(() => (chunked ? [b.subarray(0, 10), b.subarray(10)] : [b]), b.length),
      sha256: digest(b),
    });
    const smallDeclared = { ...declared(small), readInto: (target: Uint8Array) => (target.set(small), small.length) };
    const t = new Tree();
    t.file('a', declared(big));
    t.file('b-declared-copy', declared(big, true));
    t.file('c-plain-copy', big.slice()); // hashed by the writer, to the same SHA-256: stored once too
    t.file('d-small', smallDeclared);
    t.file('e-small-copy', { ...smallDeclared });
    // The same digest with another size is another file (size is part of the identity).
    t.file('f-same-digest-other-size', { ...contentFromFactory(() => [small.subarray(0, 899)], 899), sha256: digest(small) });
    const { hasher, hashed } = countingHasher();
    const img = join(tmp.dir, 'declared.sqfs');
    const { result } = await writeToFile(t, img, { blockSize: BS, hasher });
    expect(result.duplicates).toBe(3);
    // Only the plain copy was hashed (its bytes, nothing else), not the declared ones (which
    // include small files read ahead and replayed, and one read with readInto).
    expect(hashed()).toBe(big.length);
    const out = join(tmp.dir, 'declared-x');
    expect(run('unsquashfs', ['-d', out, img]).status).toBe(0);
    for (const name of ['a', 'b-declared-copy', 'c-plain-copy']) expect(readFileSync(join(out, name)).equals(Buffer.from(big))).toBe(true);
    for (const name of ['d-small', 'e-small-copy']) expect(readFileSync(join(out, name)).equals(Buffer.from(small))).toBe(true);
    expect(readFileSync(join(out, 'f-same-digest-other-size')).equals(Buffer.from(small.subarray(0, 899)))).toBe(true);
    // Without dedup the digest is not used, and the image holds every copy.
    const { result: r2 } = await writeToFile(t, join(tmp.dir, 'declared-nodedup.sqfs'), { blockSize: BS, dedup: false });
    expect(r2.duplicates).toBe(0);
  });

  it('files with all-zero blocks deduplicate with their copies only: the zero blocks are not hashed, the encoding stays injective', async () => {
    const zero = new Uint8Array(BS);
    const data = pattern(BS, 11);
    const join3 = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
    const sparseA = join3(data, zero, data.subarray(0, 500)); // zero block at index 1
    const sparseB = join3(zero, data, data.subarray(0, 500)); // same bytes otherwise, zero block at index 0
    const t = new Tree();
    t.file('a', sparseA);
    t.file('a-copy', sparseA.slice());
    t.file('b', sparseB);
    // A file without zero blocks whose plain bytes are what a's hashed stream would be if the
    // trailer were left out: a different size, so never a match either.
    t.file('c', join3(data, data.subarray(0, 500)));
    const { hasher, hashed } = countingHasher();
    const img = join(tmp.dir, 'sparse-dedup.sqfs');
    const { result } = await writeToFile(t, img, { blockSize: BS, hasher });
    expect(result.duplicates).toBe(1); // a-copy only
    // Each zero block costs 4 bytes of trailer, not BS bytes of hashing: a, a-copy and b hash
    // their data block, tail and a 12-byte trailer; c its plain bytes.
    expect(hashed()).toBe(3 * (BS + 500 + 12) + (BS + 500));
    const out = join(tmp.dir, 'sparse-dedup-x');
    expect(run('unsquashfs', ['-d', out, img]).status).toBe(0);
    expect(readFileSync(join(out, 'a')).equals(Buffer.from(sparseA))).toBe(true);
    expect(readFileSync(join(out, 'a-copy')).equals(Buffer.from(sparseA))).toBe(true);
    expect(readFileSync(join(out, 'b')).equals(Buffer.from(sparseB))).toBe(true);
    expect(readFileSync(join(out, 'c')).equals(Buffer.from(join3(data, data.subarray(0, 500))))).toBe(true);
  });

  it('a malformed declared sha256 is refused with the path', async () => {
    for (const sha256 of ['ABC', 'A'.repeat(64), 'g'.repeat(64), 42]) {
      const t = new Tree();
      t.file('dir/bad', { ...contentFromFactory(() => [new Uint8Array(5000)], 5000), sha256 } as never);
      await expect(writeToFile(t, join(tmp.dir, 'bad-digest.sqfs'), { blockSize: BS })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', path: '/dir/bad' });
    }
  });

  it('mkfs time defaults to the newest mtime; clampMtime clamps inode mtimes and mkfs time', async () => {
    const t = new Tree({ defaults: { mtime: 1_000 } });
    t.file('old', 'o', { mtime: 1_500_000_000 });
    t.file('new', 'n', { mtime: 1_800_000_000 });
    const { bytes } = await writeToFile(t, join(tmp.dir, 'm1.sqfs'));
    expect(F.decodeSuperblock(bytes).mkfsTime).toBe(1_800_000_000);
    const img = join(tmp.dir, 'm2.sqfs');
    const { bytes: b2 } = await writeToFile(t, img, { clampMtime: 1_600_000_000 });
    expect(F.decodeSuperblock(b2).mkfsTime).toBe(1_600_000_000);
    const l = run('unsquashfs', ['-lln', img]).stdout;
    const times = Object.fromEntries(inodesOf(b2).map((i) => [i.header.inodeNumber, i.header.mtime]));
    expect(times).toEqual({ 1: 1_600_000_000, 2: 1_500_000_000, 3: 1_000 });
    expect(l).toContain('squashfs-root/new');
    const { bytes: b3 } = await writeToFile(t, join(tmp.dir, 'm3.sqfs'), { mkfsTime: 42 });
    expect(F.decodeSuperblock(b3).mkfsTime).toBe(42);
  });

  it('inode numbers are dense, pre-order, root last with parent N+1; dir nlink = 2 + subdirs', async () => {
    const { bytes } = await writeToFile(kitchenSink(false), join(tmp.dir, 'ino.sqfs'), { blockSize: BS });
    const sb = F.decodeSuperblock(bytes);
    const all = inodesOf(bytes);
    expect(all.map((i) => i.header.inodeNumber).sort((a, b) => a - b)).toEqual(Array.from({ length: sb.inodes }, (_, i) => i + 1));
    const root = all.at(-1)!;
    expect(root.header.inodeNumber).toBe(sb.inodes);
    expect(root.kind === 'dir' || root.kind === 'ldir').toBe(true);
    if (root.kind === 'dir') {
      expect(root.parentInode).toBe(sb.inodes + 1);
      expect(root.nlink).toBe(2 + 3); // dev, dir1, unicode
    }
    expect(sb.rootInode).toBe(Math.floor(sb.rootInode / 0x10000) * 0x10000 + (sb.rootInode % 0x10000));
  });

  it('portable zstd (the default provider) writes a level-19 options block and images equal to gzip ones', async () => {
    const ref = join(tmp.dir, 'zref.sqfs');
    const img = join(tmp.dir, 'zstd-portable.sqfs');
    const { bytes } = await writeToFile(kitchenSink(false), img, { blockSize: BS, compression: 'zstd', level: 19 });
    const sb = F.decodeSuperblock(bytes);
    expect(sb.compression).toBe(6);
    expect(sb.flags & F.SQUASHFS_COMP_OPT).not.toBe(0);
    expect(Buffer.from(bytes.subarray(96, 102)).toString('hex')).toBe('048013000000'); // uncompressed 4-byte options: level 19
    const { bytes: b2 } = await writeToFile(kitchenSink(false), ref, { blockSize: BS, compression: 'gzip' });
    expect(b2.length).toBeGreaterThan(0);
    expect(sqfsdiff(img, ref, ['-T']).report).toBe('');
  });
});
