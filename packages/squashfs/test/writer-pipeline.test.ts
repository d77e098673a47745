/**
 * The block pipeline across files: compressions that finish in any order, windows from 1 to 64,
 * duplicates found after some of their blocks were already written (the cursor moves back), sparse
 * blocks, small files packed into fragments, contents in odd chunks. The image must be the same
 * bytes every time, and read back to the input.
 */
import { describe, expect, it } from 'vitest';
import {
  MemorySink,
  SquashfsImage,
  Tree,
  contentFromFactory,
  portableCodecs,
  sourceFromBytes,
  verifyImage,
  writeImage,
  type Codec,
  type WriteOptions,
} from '@sysext-bakery/squashfs';
import { nodeCodecs, sha256Hasher } from '@sysext-bakery/squashfs/node';
import { BS, pattern, random } from './writer-helpers.js';

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

  it('compresses metadata synchronously once the codec is ready(), and fails cleanly when compressSync cannot', async () => {
    const reference = await image(false, { compression: portableCodecs.createCodec('gzip', { level: 6 }), concurrency: 2 });
    // A codec whose compressSync works only after ready() (like zstd before its WASM is loaded).
    const inner = portableCodecs.createCodec('gzip', { level: 6 });
    let loaded = false;
    const lazy: Codec = {
      ...inner,
      compressSync(block) {
        if (!loaded) throw new Error('not loaded: await ready()');
        return inner.compressSync(block);
      },
      async ready() {
        await new Promise((r) => setTimeout(r, 1));
        loaded = true;
      },
    };
    expect(Buffer.from(await image(false, { compression: lazy, concurrency: 2 })).equals(Buffer.from(reference))).toBe(true);
    // Without ready(), a failing compressSync is a typed error and the sink is aborted.
    const broken: Codec = { ...inner, compressSync: () => { throw new Error('no sync path'); } };
    const sink = new MemorySink();
    let aborted = false;
    const abort = sink.abort.bind(sink);
    sink.abort = async (e) => {
      aborted = true;
      await abort(e);
    };
    await expect(writeImage(buildTree(false).tree, sink, { blockSize: BS, compression: broken })).rejects.toMatchObject({ name: 'SquashfsError', message: expect.stringMatching(/no sync path/) });
    expect(aborted).toBe(true);
  });
});
