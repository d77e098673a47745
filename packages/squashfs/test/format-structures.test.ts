/**
 * Golden tests of the on-disk encoders against bytes written by mksquashfs (an independent
 * writer): every structure of its image is decoded and re-encoded with our encoders, which must
 * give back the same bytes. Plus framing rules of metadata blocks and lookup tables.
 */
import { createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sha256, squashfsFormat as F } from '@sysext-bakery/squashfs';
import { isAllZeroPortable } from '../src/data/zero.js';
import { makeTempDir, run, setXattr } from './writer-helpers.js';

const inflate = (d: Uint8Array): Uint8Array => new Uint8Array(inflateSync(d));

interface Table {
  data: Uint8Array;
  blocks: { start: number; compressed: boolean; diskLength: number; length: number }[];
}

/** Uncompressed position of a metadata reference (block start relative to the table, offset). */
function refToPos(t: Table, blockStart: number, offset: number): number {
  const i = t.blocks.findIndex((b) => b.start === blockStart);
  if (i < 0) throw new Error(`no metadata block at ${blockStart}`);
  return i * 8192 + offset;
}

describe('format encoders reproduce mksquashfs bytes', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let img: Uint8Array;
  let sb: ReturnType<typeof F.decodeSuperblock>;
  let inodes: Table;
  let dirs: Table;

  beforeAll(() => {
    tmp = makeTempDir('golden');
    const src = join(tmp.dir, 'src');
    mkdirSync(join(src, 'long'), { recursive: true });
    mkdirSync(join(src, 'many'));
    mkdirSync(join(src, 'empty'));
    for (let i = 0; i < 1500; i++) writeFileSync(join(src, 'long', `${'n'.repeat(60)}_${i}`), `${i}`);
    for (let i = 0; i < 300; i++) writeFileSync(join(src, 'many', `file${i}`), '');
    writeFileSync(join(src, 'big'), randomBytes(300_000));
    writeFileSync(join(src, 'sparse'), Buffer.concat([Buffer.alloc(1 << 20), Buffer.from('x')]));
    writeFileSync(join(src, 'small'), 'small');
    linkSync(join(src, 'small'), join(src, 'hard'));
    symlinkSync('small', join(src, 'sym'));
    run('mknod', [join(src, 'chr'), 'c', '259', '300000']);
    run('mkfifo', [join(src, 'fifo')]);
    setXattr(join(src, 'small'), 'user.one', new TextEncoder().encode('1'));
    setXattr(join(src, 'big'), 'trusted.two', new Uint8Array(500).fill(7));
    const out = join(tmp.dir, 'm.sqfs');
    const m = run('mksquashfs', [src, out, '-noappend', '-quiet', '-no-progress', '-xattrs']);
    expect(m.status, m.stderr).toBe(0);
    img = new Uint8Array(readFileSync(out));
    sb = F.decodeSuperblock(img);
    inodes = F.readMetadataBlocks(img.subarray(sb.inodeTableStart, sb.directoryTableStart), inflate);
    dirs = F.readMetadataBlocks(img.subarray(sb.directoryTableStart, sb.fragmentTableStart), inflate);
  });
  afterAll(() => tmp.cleanup());

  it('superblock', () => {
    expect(sb.magic).toBe(F.SQUASHFS_MAGIC);
    expect(F.encodeSuperblock(sb)).toEqual(img.subarray(0, 96));
  });

  it('every inode re-encodes to the same bytes', () => {
    let pos = 0;
    let count = 0;
    const kinds = new Set<string>();
    while (pos < inodes.data.length) {
      const { inode, length } = F.decodeInode(inodes.data, pos, sb.blockSize);
      expect(F.encodeInode(inode)).toEqual(inodes.data.subarray(pos, pos + length));
      kinds.add(inode.kind);
      pos += length;
      count++;
    }
    expect(count).toBe(sb.inodes); // the hard link shares one inode, counted once
    expect([...kinds].sort()).toEqual(['chrdev', 'dir', 'fifo', 'ldir', 'lreg', 'reg', 'symlink']);
  });

  it('every directory listing (headers, 8 KiB splits, LDIR index) is reproduced', async () => {
    let pos = 0;
    let checked = 0;
    let indexed = 0;
    while (pos < inodes.data.length) {
      const { inode, length } = F.decodeInode(inodes.data, pos, sb.blockSize);
      pos += length;
      if (inode.kind !== 'dir' && inode.kind !== 'ldir') continue;
      const size = inode.fileSize - 3;
      const start = refToPos(dirs, inode.startBlock, inode.offset);
      const theirs = dirs.data.subarray(start, start + size);
      const { entries } = F.decodeDirectoryListing(dirs.data, start, size);
      const listing: F.ListingEntry[] = entries.map((e) => ({
        name: e.name,
        inodeRef: e.startBlock * 0x10000 + e.offset,
        inodeNumber: e.inodeNumber,
        type: e.type,
      }));
      const chunks: Uint8Array[] = [];
      let written = 0;
      const out = {
        get blockStart() {
          return dirs.blocks[Math.floor((start + written) / 8192)]!.start;
        },
        write(b: Uint8Array, start: number, end: number) {
          chunks.push(b.slice(start, end));
          written += end - start;
        },
      };
      const ours = F.writeDirectoryListing(listing, out);
      expect(ours.size).toBe(size);
      expect(Buffer.concat(chunks)).toEqual(Buffer.from(theirs));
      if (inode.kind === 'ldir') {
        expect(ours.index).toEqual(inode.index);
        indexed += inode.index.length;
      }
      checked++;
    }
    expect(checked).toBe(4);
    expect(indexed).toBeGreaterThanOrEqual(8);
  });

  it('fragment, export, id and xattr tables re-encode and sit right before their index arrays', () => {
    const readTable = (indexStart: number, count: number, entrySize: number): Uint8Array => {
      const blocks = Math.ceil((count * entrySize) / 8192);
      const ptrs = F.decodeLookupIndex(img, indexStart, blocks);
      const t = F.readMetadataBlocks(img.subarray(ptrs[0]!, indexStart), inflate);
      expect(t.blocks.map((b) => b.start + ptrs[0]!)).toEqual(ptrs);
      return t.data.subarray(0, count * entrySize);
    };
    const frag = readTable(sb.fragmentTableStart, sb.fragments, 16);
    expect(F.encodeFragmentEntries(F.decodeFragmentEntries(frag, sb.fragments))).toEqual(frag);
    const exp = readTable(sb.lookupTableStart!, sb.inodes, 8);
    expect(F.encodeExportEntries(F.decodeExportEntries(exp, sb.inodes))).toEqual(exp);
    const ids = readTable(sb.idTableStart, sb.noIds, 4);
    expect(F.encodeIdEntries(F.decodeIdEntries(ids, sb.noIds))).toEqual(ids);

    // xattr id table: header {kv start, count, 0} + index, ending at bytes_used.
    const h = new DataView(img.buffer, img.byteOffset + sb.xattrIdTableStart!);
    const kvStart = Number(h.getBigUint64(0, true));
    const count = h.getUint32(8, true);
    const idxBlocks = Math.ceil((count * 16) / 8192);
    const ptrs = F.decodeLookupIndex(img, sb.xattrIdTableStart! + 16, idxBlocks);
    expect(F.encodeXattrIdTableHeader(kvStart, count, ptrs)).toEqual(img.subarray(sb.xattrIdTableStart!, sb.bytesUsed));
    const idTable = F.readMetadataBlocks(img.subarray(ptrs[0]!, sb.xattrIdTableStart!), inflate);
    const xids = F.decodeXattrIdEntries(idTable.data, count);
    expect(F.encodeXattrIdEntries(xids)).toEqual(idTable.data.subarray(0, count * 16));
    const kv = F.readMetadataBlocks(img.subarray(kvStart, ptrs[0]!), inflate);
    const names: string[] = [];
    for (const x of xids) {
      const at = refToPos(kv, Math.floor(x.ref / 0x10000), x.ref % 0x10000);
      const pairs = F.decodeXattrPairs(kv.data, at, x.count);
      let o = at;
      for (const p of pairs) {
        const enc = F.encodeXattrPair(p.type, p.name, p.value);
        expect(enc).toEqual(kv.data.subarray(o, o + enc.length));
        o += enc.length;
        names.push(`${F.SQUASHFS_XATTR_PREFIXES[p.type & 0xff]}${Buffer.from(p.name)}`);
      }
      // mksquashfs's size: strlen(full name) + 1 + value size, summed — ours computes the same.
      const valueSize = (p: { type: number; value: Uint8Array }): number => {
        if ((p.type & F.SQUASHFS_XATTR_VALUE_OOL) === 0) return p.value.length;
        const ref = Number(Buffer.from(p.value).readBigUInt64LE(0));
        return Buffer.from(kv.data).readUInt32LE(refToPos(kv, Math.floor(ref / 0x10000), ref % 0x10000));
      };
      expect(x.size).toBe(pairs.reduce((n, p) => n + F.SQUASHFS_XATTR_PREFIXES[p.type & 0xff]!.length + p.name.length + 1 + valueSize(p), 0));
    }
    expect(names.sort()).toEqual(['trusted.two', 'user.one']);
  });

  it('rdev is encoded as Linux new_encode_dev (as makedev gives for these ranges)', () => {
    const r = run('python3', ['-c', 'import os; print(os.makedev(259, 300000), os.makedev(4095, 1048575), os.makedev(1, 3))']);
    const [a, b, c] = r.stdout.trim().split(' ').map(Number);
    expect(F.encodeRdev(259, 300000)).toBe(a);
    expect(F.encodeRdev(4095, 1048575)).toBe(b! % 2 ** 32);
    expect(F.encodeRdev(1, 3)).toBe(c);
    expect(F.decodeRdev(F.encodeRdev(259, 300000))).toEqual({ major: 259, minor: 300000 });
  });
});

describe('metadata block framing and lookup tables', () => {
  it('blocks are exactly 8192 bytes uncompressed except the last; 0x8000 marks raw blocks', async () => {
    const mw = new F.MetadataWriter(() => null);
    const data = randomBytes(20_000);
    expect(mw.ref()).toBe(0);
    await mw.write(data.subarray(0, 8292));
    expect(mw.ref()).toBe(8194 * 0x10000 + 100);
    await mw.write(data.subarray(8292));
    const t = await mw.finish();
    const all = Buffer.concat(t.chunks);
    expect(t.blockStarts).toEqual([0, 8194, 16388]);
    expect([...all.subarray(0, 2)]).toEqual([0x00, 0xa0]); // 8192 | 0x8000
    expect(all.readUInt16LE(8194)).toBe(0x8000 | 8192);
    expect(all.readUInt16LE(16388)).toBe(0x8000 | (20_000 - 16384));
    expect(t.size).toBe(all.length);
    const back = F.readMetadataBlocks(all, () => {
      throw new Error('nothing is compressed');
    });
    expect(Buffer.from(back.data)).toEqual(data);
  });

  it('compressed blocks carry their compressed length without the flag; larger output is stored raw', async () => {
    const { deflateSync } = await import('node:zlib');
    const mw = new F.MetadataWriter((b) => new Uint8Array(deflateSync(b)));
    await mw.write(new Uint8Array(10_000).fill(65));
    await mw.write(randomBytes(100)); // lands in the second block
    const t = await mw.finish();
    const all = Buffer.concat(t.chunks);
    const h0 = all.readUInt16LE(0);
    expect(h0 & 0x8000).toBe(0);
    expect(h0).toBe(t.blockStarts[1]! - 2);
    const back = F.readMetadataBlocks(all, inflate);
    expect(back.blocks.map((b) => b.length)).toEqual([8192, 10_100 - 8192]);
    // Random 100 bytes + 1808 'A's still compress; a purely random block does not:
    const raw = new F.MetadataWriter((b) => new Uint8Array(deflateSync(b)));
    await raw.write(randomBytes(5000));
    const rt = await raw.finish();
    expect(Buffer.concat(rt.chunks).readUInt16LE(0)).toBe(0x8000 | 5000);
  });

  it('with a background compressor: the same table whatever order blocks complete in; a start is known only once the blocks before it are', async () => {
    const { deflateSync } = await import('node:zlib');
    const data = Buffer.concat([Buffer.alloc(9000, 66), randomBytes(8192), Buffer.alloc(12_000, 67)]);
    const sync = new F.MetadataWriter((b) => new Uint8Array(deflateSync(b)));
    sync.write(data);
    const expected = sync.finish();
    // The first block completes last.
    let n = 0;
    const background = (b: Uint8Array): Promise<Uint8Array | null> => {
      const delay = n++ === 0 ? 30 : 0;
      return new Promise((resolve) => setTimeout(() => resolve(new Uint8Array(deflateSync(b))), delay));
    };
    const mw = new F.MetadataWriter({ background });
    mw.write(data.subarray(0, 9000));
    const at = mw.blockRef(); // block 1, offset 808
    expect(at).toBe(1 * 0x10000 + 808);
    expect(() => mw.resolve(at)).toThrow(/start of metadata block 1 is not known yet/);
    expect(() => mw.ref()).toThrow(RangeError);
    await mw.settle();
    expect(mw.resolve(at)).toBe(expected.blockStarts[1]! * 0x10000 + 808);
    mw.write(data.subarray(9000));
    expect(() => mw.finish()).toThrow(/finishAsync/);
    const t = await mw.finishAsync();
    expect(t.blockStarts).toEqual(expected.blockStarts);
    expect(t.size).toBe(expected.size);
    expect(Buffer.concat(t.chunks)).toEqual(Buffer.concat(expected.chunks));
    // A failed background compression surfaces at settle.
    const failing = new F.MetadataWriter({ background: () => Promise.reject(new Error('no')) });
    failing.write(data.subarray(0, 8192));
    await expect(failing.settle()).rejects.toThrow('no');
  });

  it('a lookup table places its index right after its blocks, pointing at each block', async () => {
    const ids = Array.from({ length: 5000 }, (_, i) => i * 7);
    const t = await F.buildLookupTable(F.encodeIdEntries(ids), () => null, 1000);
    const bytes = Buffer.concat(t.chunks);
    expect(t.blockPositions).toEqual([1000, 1000 + 8194, 1000 + 2 * 8194]);
    expect(t.indexStart).toBe(1000 + 2 * 8194 + 2 + (5000 * 4 - 16384));
    expect(t.end - t.indexStart).toBe(3 * 8);
    expect(F.decodeLookupIndex(bytes, t.indexStart - 1000, 3)).toEqual(t.blockPositions);
    const data = F.readMetadataBlocks(bytes.subarray(0, t.indexStart - 1000), () => new Uint8Array());
    expect(F.decodeIdEntries(data.data, 5000)).toEqual(ids);
    // An empty table (no fragments) is just an empty index at `start`.
    const empty = await F.buildLookupTable(new Uint8Array(0), () => null, 4242);
    expect([empty.indexStart, empty.end, empty.chunks.reduce((n, c) => n + c.length, 0)]).toEqual([4242, 4242, 0]);
  });

  it('directory headers: at most 256 entries, one inode block per header, delta within int16', async () => {
    const entries: F.ListingEntry[] = [];
    for (let i = 0; i < 600; i++) {
      const block = i < 400 ? 0 : 5000; // inode block changes at 400
      const ino = i < 500 ? 10 + i : 100_000 + i; // delta leaves int16 at 500
      entries.push({ name: new TextEncoder().encode(`f${String(i).padStart(4, '0')}`), inodeRef: block * 0x10000 + i * 40, inodeNumber: ino, type: 2 });
    }
    const chunks: Uint8Array[] = [];
    const res = F.writeDirectoryListing(entries, { blockStart: 0, write: (b, start, end) => void chunks.push(b.slice(start, end)) });
    const bytes = Buffer.concat(chunks);
    const dec = F.decodeDirectoryListing(bytes, 0, res.size);
    expect(dec.headers.map((h) => h.count)).toEqual([256, 144, 100, 100]);
    expect(dec.headers.map((h) => h.startBlock)).toEqual([0, 0, 5000, 5000]);
    expect(dec.entries.map((e) => e.inodeNumber)).toEqual(entries.map((e) => e.inodeNumber));
    expect(F.encodeDirHeader({ count: 1, startBlock: 2, inodeNumber: 3 })).toEqual(new Uint8Array([0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]));
    expect(F.encodeDirEntry({ offset: 0x102, inodeDelta: -2, type: 3, name: new TextEncoder().encode('ab') })).toEqual(
      new Uint8Array([2, 1, 0xfe, 0xff, 3, 0, 1, 0, 0x61, 0x62]),
    );
    expect(() => F.encodeDirEntry({ offset: 0, inodeDelta: 0, type: 2, name: new Uint8Array(257) })).toThrow();
  });
});

describe('data helpers', () => {
  it('pure-JS SHA-256 equals node:crypto for any chunking', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 1000, 100_003]) {
      const data = randomBytes(n);
      const h = new Sha256();
      let i = 0;
      let step = 1;
      while (i < n) {
        h.update(data.subarray(i, i + step));
        i += step;
        step = (step * 7 + 3) % 301;
      }
      expect(Buffer.from(h.digest()).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });

  it('zero detection (portable loop) agrees with a naive check at every alignment', () => {
    const buf = new Uint8Array(4096 + 16);
    for (let off = 0; off < 8; off++) {
      for (const len of [0, 1, 3, 4, 63, 64, 65, 4096]) {
        const v = buf.subarray(off, off + len);
        expect(isAllZeroPortable(v)).toBe(true);
        for (const at of len > 0 ? [0, len - 1, len >> 1] : []) {
          v[at] = 0x80;
          expect(isAllZeroPortable(v)).toBe(false);
          v[at] = 0;
        }
      }
    }
  });
});
