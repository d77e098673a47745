/**
 * The LDIR directory index (mksquashfs writes one for a 3000-entry directory): verifyImage checks
 * each index entry against the header it must point at, as the kernel's lookup relies on it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SquashfsImage, sourceFromBytes, verifyImage, type DirInode } from '@sysext-bakery/squashfs';
import { cleanup, have, mksquashfs, readBytes, tempDir } from './fuzz/images.js';
import { mkdirSync, writeFileSync } from 'node:fs';

const tools = have('mksquashfs');
if (!tools) console.warn('verify-index: SKIPPED, mksquashfs not installed');

/** Absolute file position of byte `k` of the inode at `ref`, in an image with uncompressed (8194-byte) metadata blocks. */
function inodeByte(img: SquashfsImage, ref: number, k: number): number {
  let block = Math.floor(ref / 65536);
  let offset = (ref % 65536) + k;
  while (offset >= 8192) {
    block += 8194;
    offset -= 8192;
  }
  return img.superblock.inodeTableStart + block + 2 + offset;
}

describe.skipIf(!tools)('verifyImage and the LDIR index', () => {
  let dir = '';
  let bytes = new Uint8Array();
  beforeAll(() => {
    dir = tempDir('h2-index-');
    mkdirSync(join(dir, 'src/big'), { recursive: true });
    for (let i = 0; i < 3000; i++) writeFileSync(join(dir, 'src/big', `file-number-${String(i).padStart(5, '0')}`), '');
    mksquashfs(join(dir, 'src'), join(dir, 'i.sqfs'), ['-noI', '-noD', '-noF', '-noX']);
    bytes = readBytes(join(dir, 'i.sqfs'));
  });
  afterAll(() => cleanup(dir));

  it('passes with the index mksquashfs wrote, which has several entries', async () => {
    const img = await SquashfsImage.open(sourceFromBytes(bytes));
    const st = await img.stat('big');
    expect(st.inodeType).toBe(8);
    const inode = (await img.inode(st.inodeRef)) as DirInode;
    expect(inode.index.length).toBeGreaterThan(3);
    expect((await verifyImage(sourceFromBytes(bytes), { all: true })).problems).toEqual([]);
  });

  it('reports an index entry that does not point at a header, and one whose name disagrees', async () => {
    const img = await SquashfsImage.open(sourceFromBytes(bytes));
    const st = await img.stat('big');
    // LDIR: 16-byte header, 24-byte body, then {u32 index, u32 start, u32 size, name} entries
    const shifted = bytes.slice();
    shifted[inodeByte(img, st.inodeRef, 40)]! += 4;
    const r1 = await verifyImage(sourceFromBytes(shifted));
    expect(r1.problems[0]!.message).toMatch(/directory index entry at listing offset \d+ does not point at a header/);
    const renamed = bytes.slice();
    renamed[inodeByte(img, st.inodeRef, 52 + 5)]! ^= 1;
    const r2 = await verifyImage(sourceFromBytes(renamed));
    expect(r2.problems[0]!.message).toMatch(/disagrees with the header/);
    // the reader itself does not use the index, so listing still works
    expect((await (await SquashfsImage.open(sourceFromBytes(renamed))).readdir('big')).length).toBe(3000);
  });
});
