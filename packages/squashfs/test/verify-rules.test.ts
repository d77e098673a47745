/**
 * verifyImage and the reader against targeted corruptions of a committed mksquashfs image with
 * uncompressed metadata (so single fields can be patched). Each test breaks one rule and checks
 * that the right structure is named; the unmodified image must pass (first test).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SquashfsError, SquashfsImage, sourceFromBytes, verifyImage, type CodecProvider, type Decompressor, type VerifyReport } from '@sysext-bakery/squashfs';
import { nodeCodecs } from '@sysext-bakery/squashfs/node';
import { SEED_DIR } from './fuzz/harness.js';

const load = (name: string) => new Uint8Array(readFileSync(`${SEED_DIR}${name}.sqfs`));
let plain: Uint8Array; // mksquashfs -noI -noD -noF -noX: every table stored raw
let gzip: Uint8Array;

const verify = (b: Uint8Array, all = false): Promise<VerifyReport> => verifyImage(sourceFromBytes(b), { all });
const open = (b: Uint8Array) => SquashfsImage.open(sourceFromBytes(b));
const u16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const put16 = (b: Uint8Array, o: number, v: number) => {
  b[o] = v & 0xff;
  b[o + 1] = (v >> 8) & 0xff;
};
const put32 = (b: Uint8Array, o: number, v: number) => {
  put16(b, o, v & 0xffff);
  put16(b, o + 2, v >>> 16);
};
function find(b: Uint8Array, needle: number[] | string, from = 0, to = b.length): number {
  const n = typeof needle === 'string' ? [...Buffer.from(needle)] : needle;
  for (let i = from; i + n.length <= to; i++) if (n.every((x, j) => b[i + j] === x)) return i;
  throw new Error(`pattern ${JSON.stringify(needle)} not found`);
}
/** Absolute position of an inode in an image whose inode table is one uncompressed block. */
async function inodeAt(b: Uint8Array, path: string): Promise<number> {
  const img = await open(b);
  const st = await img.stat(path);
  expect(Math.floor(st.inodeRef / 65536)).toBe(0);
  return img.superblock.inodeTableStart + 2 + (st.inodeRef % 65536);
}

async function expectCorrupt(p: Promise<unknown>, structure: string, message?: RegExp): Promise<SquashfsError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SquashfsError);
  const e = error as SquashfsError;
  expect(e.code).toBe('CORRUPT_IMAGE');
  expect(e.structure).toBe(structure);
  expect(typeof e.offset).toBe('number');
  if (message) expect(e.message).toMatch(message);
  return e;
}

beforeAll(() => {
  plain = load('mksquashfs-uncompressed');
  gzip = load('mksquashfs-gzip');
});

describe('verifyImage on targeted corruption', () => {
  it('passes the unmodified images, with statistics', async () => {
    for (const b of [plain, gzip]) {
      const r = await verify(b, true);
      expect(r.problems).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.stats.inodes).toBe(52);
      expect(r.stats.directories).toBe(4); // root, d, d/e, empty
      expect(r.stats.hardLinkedInodes).toBe(1);
      expect(r.stats.xattrIds).toBe(2);
    }
  });

  it('reports unsorted names (kernel lookups would miss them); the reader still lists them', async () => {
    const b = plain.slice();
    const { start, end } = (await open(b)).layout.directoryTable;
    const a = find(b, 'n000', start, end);
    const c = find(b, 'n001', start, end);
    b.set(Buffer.from('n001'), a);
    b.set(Buffer.from('n000'), c);
    const r = await verify(b);
    expect(r.ok).toBe(false);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.structure).toBe('directory table');
    expect(r.problems[0]!.message).toMatch(/unsorted or duplicate/);
    expect((await (await open(b)).readdir('d')).map((e) => e.name).slice(2, 4)).toEqual(['n001', 'n000']);
  });

  it('rejects duplicate names in the reader (ambiguous lookups)', async () => {
    const b = plain.slice();
    const { start, end } = (await open(b)).layout.directoryTable;
    b.set(Buffer.from('n000'), find(b, 'n001', start, end));
    await expectCorrupt((await open(b)).readdir('d'), 'directory table', /duplicate name "n000"/);
    expect((await verify(b)).problems[0]!.message).toMatch(/duplicate name/);
  });

  it('reports duplicate inode numbers and entry/inode number mismatches', async () => {
    const b = plain.slice();
    const small = await inodeAt(b, 'small');
    const zero = await inodeAt(b, 'zero');
    b.set(b.subarray(small + 12, small + 16), zero + 12);
    const first = await verify(b);
    expect(first.problems).toHaveLength(1); // stops at the first problem by default
    const all = await verify(b, true);
    expect(all.problems.length).toBeGreaterThan(1);
    expect(all.problems.map((p) => p.message).join('\n')).toMatch(/used by two inodes/);
    expect(all.problems.map((p) => p.message).join('\n')).toMatch(/entry says inode number \d+, the inode says \d+/);
    expect(all.problems.some((p) => p.structure === 'export table')).toBe(true);
  });

  it('rejects inode number 0 (kernel and unsquashfs do)', async () => {
    const b = plain.slice();
    put32(b, (await inodeAt(b, 'zero')) + 12, 0);
    await expectCorrupt((await open(b)).stat('zero'), 'inode table', /inode number 0 not in 1\.\.52/);
  });

  it('reports an export table entry pointing at the wrong inode', async () => {
    const b = plain.slice();
    const img = await open(b);
    const at = img.layout.exports!.pointers[0]! + 2;
    b.set(b.subarray(at + 8, at + 16), at);
    const r = await verify(b);
    expect(r.problems[0]).toMatchObject({ structure: 'export table' });
    expect(r.problems[0]!.message).toMatch(/inode 1 maps to reference/);
  });

  it('rejects bytes_used set to the padded size (tables no longer end where the kernel expects)', async () => {
    const b = plain.slice();
    put32(b, 40, b.length);
    await expectCorrupt(open(b), 'xattr table', /does not end at bytes_used/);
    const r = await verify(b);
    expect(r.ok).toBe(false);
    expect(r.problems[0]!.structure).toBe('xattr table');
  });

  it('rejects a truncated image in the superblock check', async () => {
    await expectCorrupt(open(plain.slice(0, 8192)), 'superblock', /bytes_used \d+ is beyond the image size 8192/);
    await expectCorrupt(open(plain.slice(0, 50)), 'superblock', /smaller than a superblock/);
  });

  it('rejects a fragment index beyond the fragment table', async () => {
    const b = plain.slice();
    const st = await (await open(b)).stat('d/n003');
    expect(st.inodeType).toBe(2);
    expect(st.fragment).toBeDefined();
    put32(b, (await inodeAt(b, 'd/n003')) + 20, 99);
    await expectCorrupt((await open(b)).readFile('d/n003'), 'inode table', /fragment index 99 not below the fragment count 1/);
    expect((await verify(b)).problems[0]!.structure).toBe('inode table');
  });

  it('rejects a metadata block header of length 0 and one longer than 8192', async () => {
    for (const header of [0x8000, 0x0000, 0x8000 | 8193]) {
      const b = plain.slice();
      const img = await open(b);
      put16(b, img.layout.directoryTable.start, header);
      await expectCorrupt((await open(b)).readdir(''), 'directory table', /metadata block length \d+ not in 1\.\.8192/);
    }
  });

  it('rejects a data block that does not decompress, in readFile and verify', async () => {
    const b = gzip.slice();
    const img = await open(b);
    const st = await img.stat('d/two-blocks');
    const first = st.blocks![0]!;
    expect(first & 0x1000000).toBe(0); // compressed
    const size = first & 0xffffff;
    b[st.startBlock! + Math.floor(size / 2)]! ^= 0x55;
    await expectCorrupt((await open(b)).readFile('d/two-blocks'), 'data block');
    const r = await verify(b);
    expect(r.problems[0]).toMatchObject({ structure: 'data block', offset: st.startBlock });
  });

  it('rejects a compressed data block larger than the block size', async () => {
    const b = plain.slice();
    const at = await inodeAt(b, 'd/two-blocks');
    put32(b, at + 32, 4097 | 0x1000000); // first block-list word of a REG inode (16 + 16 bytes in)
    await expectCorrupt((await open(b)).readFile('d/two-blocks'), 'data block', /exceeds the block size/);
  });

  it('detects a directory loop (an entry pointing back at the root) in walk and verify', async () => {
    const b = plain.slice();
    const img = await open(b);
    const { start, end } = img.layout.directoryTable;
    // entry "e" in "d": {u16 offset, s16 delta, u16 type=1, u16 size-1=0, "e"}
    const name = find(b, [1, 0, 0, 0, 0x65], start, end);
    const rootOffset = img.superblock.rootInode % 65536;
    put16(b, name - 4, rootOffset);
    const walk = async () => {
      const img2 = await open(b);
      for await (const _ of img2.walk()) void _;
    };
    await expectCorrupt(walk(), 'directory table', /appears twice in the tree/);
    const r = await verify(b, true);
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(/reached twice/);
  });

  it('rejects an id index outside the id count, and uid indices beyond it', async () => {
    const b = plain.slice();
    put16(b, (await inodeAt(b, 'small')) + 4, 5);
    await expectCorrupt((await open(b)).stat('small'), 'inode table', /uid index 5 not below the id count 1/);
  });

  it('rejects a superblock claiming 4 billion inodes without allocating for them', async () => {
    const b = plain.slice();
    put32(b, 4, 0xffffffff);
    // the export index for 2^32 inodes would be 32 MiB: it cannot fit before bytes_used
    await expectCorrupt(open(b), 'export table', /does not end where the next table starts|runs past/);
  });
});

describe('verify with the node decompressors (asynchronous: several blocks decompress at once)', () => {
  const verifyNode = (b: Uint8Array, all = false): Promise<VerifyReport> => verifyImage(sourceFromBytes(b), { all, codecs: nodeCodecs });

  /** The node codecs with their decompressor's methods replaced by `extra(real)`'s. */
  const withDecompressor = (extra: (real: Decompressor) => Partial<Decompressor>): CodecProvider => ({
    ...nodeCodecs,
    decompressor(id) {
      const real = nodeCodecs.decompressor(id)!;
      return { id, decompress: (data, maxSize) => real.decompress(data, maxSize), ...extra(real) };
    },
  });
  /** 30 ms for a large block, none for a small one: the later block of a file fails first. */
  const largeLater = (data: Uint8Array): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, data.length > 1000 ? 30 : 0));

  /**
   * `d/two-blocks` (blocks of 4 KiB: 0 and 2 compressed, 1 stored raw) in a copy of the gzip image
   * with blocks 0 and 2 broken (block 2, 62 bytes, is the quicker to fail); `at`: where they start.
   */
  async function brokenTwoBlocks(): Promise<{ b: Uint8Array; at: number[] }> {
    const b = gzip.slice();
    const st = await (await open(b)).stat('d/two-blocks');
    const [first, second, third] = st.blocks!;
    expect([first! & 0x1000000, second! & 0x1000000, third! & 0x1000000]).toEqual([0, 0x1000000, 0]);
    const at = [st.startBlock!, st.startBlock! + (first! & 0xffffff), st.startBlock! + (first! & 0xffffff) + (second! & 0xffffff)];
    b[at[0]! + Math.floor((first! & 0xffffff) / 2)]! ^= 0x55;
    b[at[2]! + 2]! ^= 0x55;
    return { b, at };
  }

  it('passes the unmodified gzip image, with the same counts as the synchronous path', async () => {
    const [sync, async] = await Promise.all([verify(gzip), verifyNode(gzip)]);
    expect(async.ok).toBe(true);
    expect(async.stats).toEqual(sync.stats);
  });

  it('reports the first bad data block of a file in file order, whatever block fails first', async () => {
    const { b, at } = await brokenTwoBlocks();
    const r = await verifyNode(b);
    expect(r.ok).toBe(false);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ structure: 'data block', offset: at[0] });
    // Made certain: a decompressor that fails the large block 30 ms after the small one.
    const late = withDecompressor((real) => ({
      decompressAsync: async (data, maxSize) => {
        await largeLater(data);
        return real.decompress(data, maxSize);
      },
    }));
    const ordered = await verifyImage(sourceFromBytes(b), { codecs: late });
    expect(ordered.problems[0]).toMatchObject({ structure: 'data block', offset: at[0] });
    // readFile reads ahead too: the same first bad block, and the intact file's bytes alike.
    const img = await SquashfsImage.open(sourceFromBytes(b), { codecs: late });
    const e = await expectCorrupt(img.readFile('d/two-blocks'), 'data block');
    expect(e.offset).toBe(at[0]);
    const intact = await SquashfsImage.open(sourceFromBytes(gzip), { codecs: late });
    expect(await intact.readFile('d/two-blocks')).toEqual(await (await open(gzip)).readFile('d/two-blocks'));
  });

  it('checks data and fragment blocks through decompressedLengthAsync when the decompressor has it: same reports, in file order', async () => {
    const calls = { length: 0, bytes: 0 };
    // Fails the large block 30 ms after the small one, like the decompressAsync case above.
    const counting = (lie = 0): CodecProvider =>
      withDecompressor((real) => ({
        decompressAsync: async (data, maxSize) => {
          calls.bytes++;
          return real.decompress(data, maxSize);
        },
        decompressedLengthAsync: async (data, maxSize) => {
          calls.length++;
          await largeLater(data);
          return real.decompress(data, maxSize).length - lie;
        },
      }));
    const good = await verifyImage(sourceFromBytes(gzip), { codecs: counting() });
    expect(good.ok).toBe(true);
    expect(good.stats).toEqual((await verify(gzip)).stats);
    // Never the bytes: data blocks and fragment blocks (whose lengths bound the tails) alike.
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.bytes).toBe(0);

    const { b, at } = await brokenTwoBlocks();
    const bad = await verifyImage(sourceFromBytes(b), { codecs: counting() });
    expect(bad.problems[0]).toMatchObject({ structure: 'data block', offset: at[0] });
    expect(bad.problems[0]!.message).toMatch(/does not decompress/);

    // A length that does not match the block's declared size is the block's problem, named (the
    // first compressed data block of the image, the image's first block).
    const short = await verifyImage(sourceFromBytes(gzip), { codecs: counting(1) });
    expect(short.problems[0]).toMatchObject({ structure: 'data block', offset: 96 });
    expect(short.problems[0]!.message).toMatch(/block holds \d+ bytes, expected \d+/);
  });

  it('a decompression worker that dies is an I/O failure, not a problem of the image', async () => {
    const dying = withDecompressor(() => ({
      decompressAsync: () => Promise.reject(new SquashfsError('IO', 'gzip worker exited (code 134)')),
      decompressedLengthAsync: () => Promise.reject(new SquashfsError('IO', 'gzip worker exited (code 134)')),
    }));
    // verify records it like any failure, as what it is: not a data block that does not decompress.
    const report = await verifyImage(sourceFromBytes(gzip), { codecs: dying });
    expect(report.problems).toEqual([{ structure: 'image', offset: 0, message: 'gzip worker exited (code 134)' }]);
    const img = await SquashfsImage.open(sourceFromBytes(gzip), { codecs: dying });
    await expect(img.readFile('d/two-blocks')).rejects.toMatchObject({ code: 'IO' });
    // Bad data from the same path stays the block's problem.
    const bad = withDecompressor(() => ({ decompressAsync: () => Promise.reject(new SquashfsError('CORRUPT_IMAGE', 'gzip decompression failed: invalid stored block lengths')) }));
    await expectCorrupt((await SquashfsImage.open(sourceFromBytes(gzip), { codecs: bad })).readFile('d/two-blocks'), 'data block');
  });

  it('reports a fragment block that does not decompress', async () => {
    // The uncompressed-metadata image: its fragment table entry can be patched in place. Clearing
    // the entry's "stored raw" bit makes the fragment's plain bytes a (bad) gzip stream.
    const b = plain.slice();
    const img = await open(b);
    const entryAt = img.layout.fragments!.pointers[0]! + 2;
    const start = Number(new DataView(b.buffer, b.byteOffset + entryAt).getBigUint64(0, true));
    const word = new DataView(b.buffer, b.byteOffset + entryAt + 8).getUint32(0, true);
    expect(word & 0x1000000).toBe(0x1000000);
    put32(b, entryAt + 8, word & 0xffffff);
    const r = await verifyNode(b);
    expect(r.problems[0]).toMatchObject({ structure: 'fragment block', offset: start });
  });
});
