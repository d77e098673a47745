/**
 * The block pipeline across files: compressions that finish in any order, windows from 1 to 64,
 * duplicates found after some of their blocks were already written (the cursor moves back), sparse
 * blocks, small files packed into fragments, contents in odd chunks. The image must be the same
 * bytes every time, and read back to the input.
 */
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  MemorySink,
  SquashfsImage,
  Tree,
  contentFromFactory,
  portableCodecs,
  sourceFromBytes,
  squashfsFormat as F,
  verifyImage,
  writeImage,
  type Codec,
  type WriteOptions,
} from '@sysext-bakery/squashfs';
import { nodeCodecs, sha256Hasher } from '@sysext-bakery/squashfs/node';
import { BlockQueue } from '../src/data/block-queue.js';
import { SinkCursor } from '../src/data/block-writer.js';
import { FileWriter } from '../src/data/file-writer.js';
import { BS, manyDirectories, pattern, random } from './writer-helpers.js';

/** gzip whose results arrive late and out of order (delay from a seeded sequence). */
function shuffledCodec(seed: number): Codec {
  const inner = portableCodecs.createCodec('gzip', { level: 6 });
  let x = seed;
  return {
    ...inner,
    async compress(block) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const delay = (x >>> 16) % 4;
      const out = inner.compressSync(block);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      return out;
    },
  };
}

/** A content in chunks of varying sizes, yielded asynchronously. */
function chunked(data: Uint8Array, seed: number) {
  return contentFromFactory(async function* () {
    let i = 0;
    let n = seed;
    while (i < data.length) {
      await Promise.resolve();
      yield data.slice(i, i + n);
      i += n;
      n = (n * 7 + 13) % (3 * BS) || 1;
    }
  }, data.length);
}

function buildTree(chunkedContents: boolean): { tree: Tree; files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  const big = pattern(9 * BS + 123, 1);
  const sparse = new Uint8Array(6 * BS + 5);
  sparse.set(pattern(BS, 2), 3 * BS);
  for (let i = 0; i < 30; i++) files.set(`small/s${i}`, pattern(50 + i * 97, 100 + (i % 7)));
  files.set('small/z-copy-of-s3', pattern(50 + 3 * 97, 103));
  files.set('a/big', big);
  files.set('a/big-other', pattern(9 * BS + 123, 3));
  files.set('b/big-copy', big.slice()); // duplicate of a multi-block file: blocks written before the decision
  files.set('b/sparse', sparse);
  files.set('c/sparse-copy', sparse.slice());
  files.set('c/zeros', new Uint8Array(4 * BS + 10));
  files.set('c/exact-blocks', pattern(2 * BS, 4));
  files.set('d/between', pattern(BS + 1, 5));
  files.set('d/big-copy2', big.slice());
  files.set('e/empty', new Uint8Array(0));
  const tree = new Tree();
  let k = 1;
  for (const [path, data] of files) tree.file(path, chunkedContents ? chunked(data, k++) : data);
  return { tree, files };
}

async function image(chunkedContents: boolean, options: WriteOptions): Promise<Uint8Array> {
  const sink = new MemorySink();
  await writeImage(buildTree(chunkedContents).tree, sink, { blockSize: BS, mkfsTime: 1, ...options });
  return sink.bytes();
}

describe('writer pipeline', () => {
  it('gives the same bytes for any window, completion order and chunking, and reads back', async () => {
    const reference = await image(false, { compression: portableCodecs.createCodec('gzip', { level: 6 }), concurrency: 1 });
    const variants: [boolean, WriteOptions][] = [
      [false, { compression: shuffledCodec(1), concurrency: 2 }],
      [true, { compression: shuffledCodec(2), concurrency: 3 }],
      [true, { compression: shuffledCodec(3), concurrency: 64, hasher: sha256Hasher }],
      [false, { compression: shuffledCodec(4), concurrency: 64 }],
    ];
    for (const [c, options] of variants) {
      const bytes = await image(c, options);
      expect(Buffer.from(bytes).equals(Buffer.from(reference))).toBe(true);
    }

    const report = await verifyImage(sourceFromBytes(reference), { all: true });
    expect(report.problems).toEqual([]);
    const img = await SquashfsImage.open(sourceFromBytes(reference));
    for (const [path, data] of buildTree(false).files) {
      expect(Buffer.from(await img.readFile(path)).equals(Buffer.from(data)), path).toBe(true);
    }
    // The duplicates share the data of the first copy (and their blocks were not left behind).
    const result = await writeImage(buildTree(true).tree, new MemorySink(), { blockSize: BS, compression: shuffledCodec(5), concurrency: 2 });
    expect(result.duplicates).toBe(4);
    const noDedup = await image(false, { compression: portableCodecs.createCodec('gzip', { level: 6 }), concurrency: 4, dedup: false });
    expect(noDedup.length).toBeGreaterThan(reference.length);
  });

  it('reuses a fragment block buffer only after the block was written compressed: raw-stored fragments survive a slow sink', async () => {
    // Runs of incompressible files (their fragment blocks are stored raw, so the sink is handed the
    // packer's own buffer) between runs of compressible ones, written through a sink that copies
    // each write only after a delay: a buffer reused too early would corrupt an earlier fragment.
    const files = new Map<string, Uint8Array>();
    for (let i = 0; i < 160; i++) {
      const n = 900 + ((i * 37) % 500);
      files.set(`f/${String(i).padStart(3, '0')}`, Math.floor(i / 20) % 2 === 0 ? random(n, i + 1) : pattern(n, i + 1));
    }
    const build = (): Tree => {
      const tree = new Tree();
      for (const [path, data] of files) tree.file(path, data);
      return tree;
    };
    class SlowSink extends MemorySink {
      override async write(data: Uint8Array, position: number): Promise<void> {
        await new Promise((r) => setTimeout(r, 1));
        return super.write(data, position);
      }
    }
    const slow = new SlowSink();
    const result = await writeImage(build(), slow, { blockSize: BS, mkfsTime: 1, compression: shuffledCodec(11), concurrency: 4 });
    expect(result.fragments).toBeGreaterThan(20);
    const reference = new MemorySink();
    await writeImage(build(), reference, { blockSize: BS, mkfsTime: 1, compression: portableCodecs.createCodec('gzip', { level: 6 }), concurrency: 1 });
    expect(Buffer.from(slow.bytes()).equals(Buffer.from(reference.bytes()))).toBe(true);
    const img = await SquashfsImage.open(sourceFromBytes(slow.bytes()));
    for (const [path, data] of files) expect(Buffer.from(await img.readFile(path)).equals(Buffer.from(data)), path).toBe(true);
  });

  it('gives the same gzip image from the Node codec (libdeflate in worker threads) as from the portable one', async () => {
    const portable = await image(false, { compression: portableCodecs.createCodec('gzip'), concurrency: 4 });
    const codec = nodeCodecs.createCodec('gzip', { concurrency: 2 });
    try {
      const node = await image(true, { compression: codec, concurrency: 4 });
      expect(Buffer.from(node).equals(Buffer.from(portable))).toBe(true);
    } finally {
      await codec.close();
    }
  });

  it('a duplicate decided after its first blocks were written leaves no trace: same image as without the copy being read late', async () => {
    // Window 1: every block of the copy is written before the copy is known to be a duplicate.
    const a = await image(true, { compression: shuffledCodec(7), concurrency: 1 });
    const b = await image(false, { compression: portableCodecs.createCodec('gzip', { level: 6 }), concurrency: 32 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('compresses metadata blocks through compress() like data blocks: compressSync is never needed, and a failure is typed and aborts the sink', async () => {
    const reference = await image(false, { compression: portableCodecs.createCodec('gzip', { level: 6 }), concurrency: 2 });
    const inner = portableCodecs.createCodec('gzip', { level: 6 });
    const noSync: Codec = { ...inner, compressSync: () => { throw new Error('no sync path'); } };
    expect(Buffer.from(await image(false, { compression: noSync, concurrency: 2 })).equals(Buffer.from(reference))).toBe(true);
    // A tree without data: only metadata blocks are compressed, and the codec fails them.
    const broken: Codec = { ...inner, compress: () => Promise.reject(new Error('metadata block refused')) };
    const tree = new Tree();
    tree.file('empty', new Uint8Array(0));
    tree.dir('d');
    const sink = new MemorySink();
    let aborted = false;
    const abort = sink.abort.bind(sink);
    sink.abort = async (e) => {
      aborted = true;
      await abort(e);
    };
    await expect(writeImage(tree, sink, { blockSize: BS, compression: broken })).rejects.toMatchObject({ name: 'SquashfsError', message: expect.stringMatching(/compressing a metadata block failed: metadata block refused/) });
    expect(aborted).toBe(true);
  });

  it('tables of many blocks, written as their blocks complete in any order, give the same bytes and read back', async () => {
    const write = async (compression: Codec, concurrency: number): Promise<Uint8Array> => {
      const sink = new MemorySink();
      await writeImage(manyDirectories(9), sink, { blockSize: BS, mkfsTime: 1, compression, concurrency });
      return sink.bytes();
    };
    const reference = await write(portableCodecs.createCodec('gzip', { level: 6 }), 1);
    for (const [seed, concurrency] of [[21, 2], [22, 64]] as const) {
      expect(Buffer.from(await write(shuffledCodec(seed), concurrency)).equals(Buffer.from(reference))).toBe(true);
    }
    const img = await SquashfsImage.open(sourceFromBytes(reference));
    const sb = img.superblock;
    // Both tables span several blocks, so their positions were waited for between the steps.
    const blocks = (from: number, to: number): number => F.readMetadataBlocks(reference.subarray(from, to), (b) => new Uint8Array(inflateSync(b))).blocks.length;
    expect(blocks(sb.inodeTableStart, sb.directoryTableStart)).toBeGreaterThanOrEqual(4);
    const fragmentBlocksStart = Number(new DataView(reference.buffer, reference.byteOffset).getBigUint64(sb.fragmentTableStart, true)); // the directory table ends there
    expect(blocks(sb.directoryTableStart, fragmentBlocksStart)).toBeGreaterThanOrEqual(4);
    expect((await verifyImage(sourceFromBytes(reference), { all: true })).problems).toEqual([]);
    expect(new TextDecoder().decode(await img.readFile('deep/d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/d16/d17/d18/d19/d20/d21/d22/d23/d24/d25/d26/d27/d28/d29/d30/d31/d32/d33/d34/d35/d36/d37/d38/d39/f'))).toBe('level 39');
  });

  it('placed() resolves when the last block of that file is written, for every placement sharing it', async () => {
    const codec = portableCodecs.createCodec('gzip', { level: 6 });
    const cursor = new SinkCursor(new MemorySink(), 96);
    const queue = new BlockQueue(cursor, 64); // a window this deep writes nothing until drained
    const files = new FileWriter({ blockSize: BS, codec, cursor, queue, packer: null, tailEnds: false, hasher: sha256Hasher });
    const a = await files.write(contentFromFactory(() => [pattern(3 * BS, 1)], 3 * BS), '/a');
    const copy = await files.write(contentFromFactory(() => [pattern(3 * BS, 1)], 3 * BS), '/copy');
    const b = await files.write(contentFromFactory(() => [pattern(2 * BS + 5, 2)], 2 * BS + 5), '/b');
    expect(copy).toBe(a); // a duplicate shares the placement
    expect([a.blockCount, a.blocks.length, b.blockCount, b.blocks.length]).toEqual([3, 0, 3, 0]);
    const order: string[] = [];
    const waits = [files.placed(a).then(() => order.push(`a:${a.blocks.length}`)), files.placed(copy).then(() => order.push(`copy:${a.blocks.length}`)), files.placed(b).then(() => order.push(`b:${b.blocks.length}`))];
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual([]); // nothing written yet
    await queue.drainAll();
    await Promise.all(waits);
    expect(order).toEqual(['a:3', 'copy:3', 'b:3']);
    await files.placed(a); // complete: resolves at once
  });
});
