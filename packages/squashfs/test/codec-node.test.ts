/**
 * Node codecs: libdeflate (WASM) gzip workers, node:zlib zstd (Node >= 22.15) and the WASM zstd
 * worker pool (older Node, or forced). Framing the kernel needs, parallel results in order and identical to serial ones,
 * bounded decompression, and that neither closed nor idle codecs keep a process alive.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SquashfsError, portableCodecs, readZstdFrameHeader, ready, scanZstdFrames } from '@sysext-bakery/squashfs';
import { hasNativeZstd, nodeCodecs } from '@sysext-bakery/squashfs/node';
import { transpileForChild, type ChildModules } from './file-io-transpile.js';
import { MINOR_GC_SOURCE, zstdContextFreedAtOnce } from '../src/node/minor-gc-source.js';

const native = hasNativeZstd();
if (!native) console.warn(`SKIPPED: node:zlib has no zstd in Node ${process.versions.node}: native zstd cases skip (CI runs them under Node 24)`);
const hasZstdCli = spawnSync('zstd', ['--version']).status === 0;
if (!hasZstdCli) console.warn('SKIPPED: zstd CLI not installed (apt-get install zstd): CLI oracle cases skip');

const work = mkdtempSync(join(tmpdir(), 'codec-node-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sample(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (i & 1023) < 700 ? 97 + ((i * 31 + (i >> 7) + seed) % 23) : x & 0xff;
  }
  return out;
}

function noise(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 12345;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function expectBytes(actual: Uint8Array | null, expected: Uint8Array): void {
  expect(actual).not.toBeNull();
  const a = actual!;
  if (a.length === expected.length && Buffer.compare(a, expected) === 0) return;
  let at = 0;
  while (at < Math.min(a.length, expected.length) && a[at] === expected[at]) at++;
  expect.fail(`bytes differ: lengths ${a.length} / ${expected.length}, first difference at ${at}`);
}

/** What the kernel's zstd_wrapper needs: one frame, content size in the header, window <= block. */
function expectKernelFrame(frame: Uint8Array, block: Uint8Array): void {
  const header = readZstdFrameHeader(frame);
  expect(header.contentSize).toBe(block.length);
  expect(header.windowSize).toBeLessThanOrEqual(Math.max(block.length, 8192));
  const frames = scanZstdFrames(frame);
  expect(frames).toHaveLength(1);
  expect(frames[0]!.end).toBe(frame.length);
  // Decoded by a different implementation (fzstd) than the encoder.
  expectBytes(portableCodecs.decompressor(6)!.decompress(frame, block.length), block);
}

const blocks = Array.from({ length: 24 }, (_, i) => sample(i % 5 === 4 ? 4096 + i : 128 * 1024, i + 1));

describe('gzip: libdeflate (WASM) in worker threads', () => {
  it('produces zlib streams (RFC 1950) that node:zlib and the portable decoder inflate, the same bytes as the portable codec, level 1-9', async () => {
    const block = sample(128 * 1024, 2);
    for (const level of [1, 6, 7, 9]) {
      const codec = nodeCodecs.createCodec('gzip', { level });
      expect(codec.id).toBe(1);
      const out = (await codec.compress(block))!;
      expect(((out[0]! << 8) | out[1]!) % 31).toBe(0);
      expect(out[0]).toBe(0x78); // deflate, 32 KiB window (windowBits 15)
      expectBytes(new Uint8Array(zlib.inflateSync(out)), block);
      expectBytes(portableCodecs.decompressor(1)!.decompress(out, block.length), block);
      expectBytes(codec.compressSync(block), out);
      expectBytes(portableCodecs.createCodec('gzip', { level }).compressSync(block), out);
      await codec.close();
    }
  });

  it('compresses many blocks in parallel on 1 or 2 workers: results in order, identical to serial', async () => {
    for (const concurrency of [undefined, 1, 2]) {
      const codec = nodeCodecs.createCodec('gzip', concurrency === undefined ? {} : { concurrency });
      const parallel = await Promise.all(blocks.map((b) => codec.compress(b)));
      parallel.forEach((out, i) => expectBytes(out, codec.compressSync(blocks[i]!)!));
      parallel.forEach((out, i) => expectBytes(new Uint8Array(zlib.inflateSync(out!)), blocks[i]!));
      await codec.close();
    }
  });

  it('returns null (store raw) for incompressible and empty blocks, rejects after close()', async () => {
    const codec = nodeCodecs.createCodec('gzip');
    expect(await codec.compress(noise(128 * 1024))).toBeNull();
    expect(await codec.compress(new Uint8Array(0))).toBeNull();
    expect(codec.compressSync(noise(100))).toBeNull();
    await codec.close();
    await expect(codec.compress(blocks[0]!)).rejects.toBeInstanceOf(SquashfsError);
  });

  it('takes views into larger buffers and leaves them intact', async () => {
    const codec = nodeCodecs.createCodec('gzip');
    const big = Buffer.concat([Buffer.from(sample(50_000, 3)), Buffer.from(blocks[0]!), Buffer.from(sample(50_000, 4))]);
    const before = Buffer.from(big);
    const view = big.subarray(50_000, 50_000 + blocks[0]!.length);
    const out = (await codec.compress(view))!;
    expectBytes(new Uint8Array(zlib.inflateSync(out)), blocks[0]!);
    expect(Buffer.compare(big, before)).toBe(0);
    expect(view.length).toBe(blocks[0]!.length);
    await codec.close();
  });

  it('carries the same options payload as the portable codec: none at level 9 (what squashfs-tools implies), else level and window', () => {
    expect(nodeCodecs.createCodec('gzip', { level: 9 }).options).toBeNull();
    expect([...nodeCodecs.createCodec('gzip').options!]).toEqual([7, 0, 0, 0, 15, 0, 0, 0]);
    expect([...nodeCodecs.createCodec('gzip', { level: 6 }).options!]).toEqual([6, 0, 0, 0, 15, 0, 0, 0]);
    expect([...portableCodecs.createCodec('gzip').options!]).toEqual([7, 0, 0, 0, 15, 0, 0, 0]);
  });
});

describe('zstd in worker threads (WASM)', () => {
  beforeAll(() => ready());

  it('compresses many blocks in parallel: one kernel-ready frame each, in order, identical to serial', async () => {
    const codec = nodeCodecs.createCodec('zstd', { zstdBackend: 'workers', concurrency: 2 });
    const reference = portableCodecs.createCodec('zstd');
    try {
      const parallel = await Promise.all(blocks.map((b) => codec.compress(b)));
      parallel.forEach((out, i) => {
        expectKernelFrame(out!, blocks[i]!);
        expectBytes(out, reference.compressSync(blocks[i]!)!);
      });
    } finally {
      await codec.close();
    }
  });

  it('returns null for incompressible blocks, compresses 1 MiB blocks at level 15, rejects after close()', async () => {
    const codec = nodeCodecs.createCodec('zstd', { zstdBackend: 'workers', level: 15 });
    expect(await codec.compress(noise(64 * 1024))).toBeNull();
    expectKernelFrame((await codec.compress(sample(1 << 20, 4)))!, sample(1 << 20, 4));
    await codec.close();
    await expect(codec.compress(sample(4096))).rejects.toBeInstanceOf(SquashfsError);
  });

  it('takes blocks that are views into larger buffers (Buffer and Uint8Array) and leaves them intact', async () => {
    const codec = nodeCodecs.createCodec('zstd', { zstdBackend: 'workers' });
    const big = Buffer.from(sample(512 * 1024, 8));
    const views = [big.subarray(4096, 4096 + 65536), new Uint8Array(big.buffer, big.byteOffset + 200_000, 70_000)];
    try {
      for (const view of views) {
        const expected = new Uint8Array(view);
        const out = (await codec.compress(view))!;
        expect(big.buffer.byteLength).toBeGreaterThan(0); // not detached
        expectBytes(view, expected);
        expectKernelFrame(out, expected);
      }
    } finally {
      await codec.close();
    }
  });

  it.skipIf(!hasZstdCli)('frames decode with the zstd CLI', async () => {
    const codec = nodeCodecs.createCodec('zstd', { zstdBackend: 'workers' });
    const block = blocks[0]!;
    const file = join(work, 'w.zst');
    writeFileSync(file, (await codec.compress(block))!);
    await codec.close();
    expectBytes(new Uint8Array(execFileSync('zstd', ['-d', '-c', file])), block);
    expect(execFileSync('zstd', ['-lv', file]).toString()).toMatch(/Decompressed Size: .*\(131072 B\)/);
  });
});

describe('zstd via node:zlib (Node >= 22.15)', () => {
  it.runIf(!native)('is refused with UNSUPPORTED where node:zlib has no zstd', () => {
    expect(() => nodeCodecs.createCodec('zstd', { zstdBackend: 'native' })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });

  it.skipIf(!native).each([
    [4096, 15],
    [128 * 1024, 1],
    [128 * 1024, 15],
    [32 * 1024, 22],
    [1024 * 1024, 15],
    [1024 * 1024, 19],
  ])('a %i-byte block at level %i is one frame with content size, window <= block', async (size, level) => {
    const codec = nodeCodecs.createCodec('zstd', { level });
    const block = sample(size, size ^ level);
    const out = (await codec.compress(block))!;
    expectKernelFrame(out, block);
    expectKernelFrame(codec.compressSync(block)!, block);
    expectBytes(nodeCodecs.decompressor(6)!.decompress(out, size), block);
  });

  it.skipIf(!native)('compresses many blocks in parallel: in order, identical to one at a time', async () => {
    const codec = nodeCodecs.createCodec('zstd');
    const parallel = await Promise.all(blocks.map((b) => codec.compress(b)));
    for (let i = 0; i < blocks.length; i++) {
      const serial = await codec.compress(blocks[i]!);
      expectBytes(parallel[i]!, serial!);
      expectKernelFrame(parallel[i]!, blocks[i]!);
    }
    expect(await codec.compress(noise(64 * 1024))).toBeNull();
  });

  it.skipIf(!native || !hasZstdCli)('frames decode with the zstd CLI', async () => {
    const block = sample(300_000, 9);
    const file = join(work, 'n.zst');
    writeFileSync(file, (await nodeCodecs.createCodec('zstd').compress(block))!);
    expectBytes(new Uint8Array(execFileSync('zstd', ['-d', '-c', file])), block);
    expect(execFileSync('zstd', ['-lv', file]).toString()).toMatch(/Decompressed Size: .*\(300000 B\)/);
  });
});

describe('compression workers (zstdBackend, gzip)', () => {
  // A 4 KiB block gives a small output (a pooled Buffer in the worker, which must not be transferred).
  const mixed = [...blocks, sample(4096, 77), sample(100, 78)];

  it.skipIf(!native)('native zstd async calls: at most `concurrency` in flight, all at once without one', async () => {
    // Counts the zstdCompress calls node:zlib is running (the codec calls it on this object).
    type Z = { zstdCompress: (buf: Uint8Array, opts: object, cb: (e: Error | null, r: Buffer) => void) => void };
    const z = zlib as unknown as Z;
    const original = z.zstdCompress;
    let running = 0;
    let most = 0;
    z.zstdCompress = (buf, opts, cb) => {
      running++;
      most = Math.max(most, running);
      original(buf, opts, (e, r) => {
        running--;
        cb(e, r);
      });
    };
    try {
      for (const limit of [1, 3, undefined]) {
        most = 0;
        const codec = nodeCodecs.createCodec('zstd', { zstdBackend: 'native', ...(limit === undefined ? {} : { concurrency: limit }) });
        const parallel = await Promise.all(blocks.map((b) => codec.compress(b)));
        parallel.forEach((out, i) => expectBytes(out, codec.compressSync(blocks[i]!)!));
        expect(most).toBe(Math.min(limit ?? Infinity, blocks.length));
      }
    } finally {
      z.zstdCompress = original;
    }
  });

  it.skipIf(!native).each([1, 15, 19])('zstd native-workers (the default) at level %i: the same frames as the async native codec', async (level) => {
    const codec = nodeCodecs.createCodec('zstd', { zstdBackend: 'native-workers', level, concurrency: 2 });
    const ref = nodeCodecs.createCodec('zstd', { zstdBackend: 'native', level });
    const parallel = await Promise.all(mixed.map((b) => codec.compress(b)));
    for (let i = 0; i < mixed.length; i++) {
      const expected = await ref.compress(mixed[i]!);
      if (expected === null) expect(parallel[i]).toBeNull();
      else {
        expectBytes(parallel[i]!, expected);
        expectKernelFrame(parallel[i]!, mixed[i]!);
      }
    }
    expect(await codec.compress(noise(64 * 1024))).toBeNull();
    await codec.close();
  });

  it.each([
    { name: 'gzip', options: {} },
    { name: 'zstd', options: { zstdBackend: native ? ('native-workers' as const) : ('workers' as const) } },
  ])('$name workers recycle their input buffers: 300 blocks in flight, growing sizes, each result its own', async ({ name, options }) => {
    const codec = nodeCodecs.createCodec(name as 'gzip' | 'zstd', { ...options, level: 3, concurrency: 2 });
    const decompress = nodeCodecs.decompressor(name === 'gzip' ? 1 : 6)!;
    // Sizes grow past the pool's buffer capacity in the middle (its spare buffers are replaced).
    const blocks = Array.from({ length: 300 }, (_, i) => {
      const b = new Uint8Array(i < 150 ? 1000 + ((i * 7919) % 30000) : 40000 + ((i * 104729) % 90000));
      for (let j = 0; j < b.length; j++) b[j] = (j % 251) ^ (i * 31) ^ (j >> 9);
      return b;
    });
    const out = await Promise.all(blocks.map((b) => codec.compress(b)));
    out.forEach((o, i) => {
      expect(o).not.toBeNull();
      expectBytes(decompress.decompress(o!, blocks[i]!.length), blocks[i]!);
    });
    await codec.close();
  });

  it.skipIf(!native)('zstd native-workers: memory stays bounded over 600 level-15 blocks on 2 workers (a Node without nodejs/node#61717 frees a call\'s zstd context only at a GC)', async () => {
    // Compressible, so each block is quick; the context zstd sets up for it is as large as for any
    // 128 KiB block at level 15 (~1 MB). Node 22.23 without the worker's GCs: ~500 MB more RSS.
    const block = new Uint8Array(128 << 10);
    for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) % 1000 & 0xff;
    // Two workers starting together, as when packing (each must get its GC: see the worker source).
    const codec = nodeCodecs.createCodec('zstd', { zstdBackend: 'native-workers', level: 15, concurrency: 2 });
    try {
      expect((await Promise.all([codec.compress(block), codec.compress(block)])).every((o) => o !== null)).toBe(true); // the workers are up
      const before = process.memoryUsage().rss;
      let peak = before;
      for (let round = 0; round < 30; round++) {
        const out = await Promise.all(Array.from({ length: 20 }, () => codec.compress(block)));
        expect(out.every((o) => o !== null && o.length < block.length)).toBe(true);
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      expect((peak - before) / 1048576).toBeLessThan(150);
    } finally {
      await codec.close();
    }
  });

  it.skipIf(!native)('zstd decompression workers: memory stays bounded over 3,000 blocks (the same zstd-context issue, decompressing)', async () => {
    const block = new Uint8Array(128 << 10);
    for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) % 1000 & 0xff;
    const z = zlib.zstdCompressSync(block, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 15 } });
    const d = nodeCodecs.decompressor(6)!;
    expect(await Promise.all([d.decompressedLengthAsync!(z, block.length), d.decompressedLengthAsync!(z, block.length)])).toEqual([block.length, block.length]); // the workers are up
    const before = process.memoryUsage().rss;
    let peak = before;
    for (let round = 0; round < 150; round++) {
      const lengths = await Promise.all(Array.from({ length: 20 }, () => d.decompressedLengthAsync!(z, block.length)));
      expect(lengths.every((n) => n === block.length)).toBe(true);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect((peak - before) / 1048576).toBeLessThan(40);
  });

  it('the workers make their gc() with their first job, not while they start (a worker may be terminated then)', () => {
    // The worker source's helper, run in a context with a recording v8 and vm: loading it (what a
    // worker does at start) must not touch V8's flags; prepareCollect() (the first job) does, once.
    for (const [version, toggles] of [
      ['22.23.0', ['--expose-gc', '--no-expose-gc']],
      ['24.14.1', ['--expose-gc', '--no-expose-gc']],
      ['24.15.0', []],
      ['24.21.0', []],
      ['25.9.0', ['--expose-gc', '--no-expose-gc']],
      ['26.0.0', []],
    ] as const) {
      const calls: string[] = [];
      const sandbox: Record<string, unknown> = {
        process: { versions: { node: version } },
        require: (name: string) =>
          name === 'node:v8' ? { setFlagsFromString: (flag: string) => calls.push(flag) } : name === 'node:vm' ? { runInNewContext: () => () => {} } : undefined,
      };
      runInNewContext(`${MINOR_GC_SOURCE}; this.api = { prepare: () => prepareCollect(), collect: () => collect };`, sandbox);
      const api = sandbox['api'] as { prepare(): void; collect(): unknown };
      expect(calls).toEqual([]);
      expect(api.collect()).toBeUndefined();
      api.prepare();
      api.prepare();
      expect(calls).toEqual(toggles);
      expect(typeof api.collect()).toBe(toggles.length > 0 ? 'function' : 'object'); // null: no GC needed
      // The main thread's test (which keeps it from compressing zstd where contexts linger) agrees.
      expect(zstdContextFreedAtOnce(version)).toBe(toggles.length === 0);
    }
  });

  it.runIf(!native)('zstd native-workers is refused with UNSUPPORTED where node:zlib has no zstd', () => {
    expect(() => nodeCodecs.createCodec('zstd', { zstdBackend: 'native-workers' })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });
});

describe('node decompressors', () => {
  const block = sample(64 * 1024, 5);

  it('gzip: inflates, and throws past maxSize, on a bad checksum, on raw deflate', () => {
    const d = nodeCodecs.decompressor(1)!;
    const z = zlib.deflateSync(block);
    expectBytes(d.decompress(z, block.length), block);
    expect(() => d.decompress(z, block.length - 1)).toThrow();
    const bad = new Uint8Array(z);
    bad[bad.length - 1]! ^= 1;
    expect(() => d.decompress(bad, block.length)).toThrow();
    expect(() => d.decompress(zlib.deflateRawSync(block), block.length)).toThrow();
    expect(() => d.decompress(zlib.deflateSync(new Uint8Array(64 << 20)), 1 << 20)).toThrow();
  });

  it('zstd: decodes portable frames and throws past maxSize', async () => {
    const d = nodeCodecs.decompressor(6)!;
    const z = (await portableCodecs.createCodec('zstd').compress(block))!;
    expectBytes(d.decompress(z, block.length), block);
    expect(() => d.decompress(z, block.length - 1)).toThrow();
    expect(() => d.decompress(z.subarray(0, z.length - 4), block.length)).toThrow();
    expect(nodeCodecs.decompressor(4)).toBeUndefined();
  });

  it.each([
    ['gzip', 1, (b: Uint8Array) => new Uint8Array(zlib.deflateSync(b))],
    ['zstd', 6, (b: Uint8Array) => portableCodecs.createCodec('zstd').compressSync(b)!],
  ] as const)('%s decompressAsync and decompressedLengthAsync: the same bytes as decompress, rejecting what it throws on', async (name, id, compress) => {
    const d = nodeCodecs.decompressor(id)!;
    if (d.decompressAsync === undefined) {
      expect(name).toBe('zstd'); // Node < 22.15: the portable decoder, synchronous only
      return;
    }
    if (name === 'zstd') await ready(); // the portable zstd encoder's WASM
    const z = compress(block);
    expectBytes(await d.decompressAsync(z, block.length), d.decompress(z, block.length));
    await expect(d.decompressAsync(z, block.length - 1)).rejects.toThrow();
    await expect(d.decompressAsync(z.subarray(0, z.length - 4), block.length)).rejects.toThrow();
    // What zlib itself rejects in the worker thread comes back as a SquashfsError naming the codec
    // (zstd's frame checks run before, on the calling thread).
    if (name === 'gzip') {
      await expect(d.decompressAsync(z, block.length - 1)).rejects.toThrow(/gzip decompression failed: .*Cannot create a Buffer larger than/);
      await expect(d.decompressAsync(z, block.length - 1)).rejects.toBeInstanceOf(SquashfsError);
    }
    // Many blocks at once (spread over the worker threads): each answered with its own bytes.
    const many = Array.from({ length: 24 }, (_, i) => block.map((x, j) => (j % 97 === 0 ? i : x)));
    const outs = await Promise.all(many.map((b) => d.decompressAsync!(compress(b), b.length)));
    outs.forEach((out, i) => expectBytes(out, many[i]!));
    // decompressedLengthAsync: the same work, only the length comes back; the same rejections.
    expect(await d.decompressedLengthAsync!(z, block.length)).toBe(block.length);
    await expect(d.decompressedLengthAsync!(z, block.length - 1)).rejects.toThrow();
    await expect(d.decompressedLengthAsync!(z.subarray(0, z.length - 4), block.length)).rejects.toThrow();
    const short = compress(block.subarray(0, 1000));
    expect(await Promise.all([d.decompressedLengthAsync!(short, block.length), d.decompressedLengthAsync!(z, block.length)])).toEqual([1000, block.length]);
  });
});

describe('levels', () => {
  it.each([
    ['gzip', 10],
    ['zstd', 23],
    ['zstd', 0],
  ] as const)('%s level %i is INVALID_ARGUMENT', (name, level) => {
    expect(() => nodeCodecs.createCodec(name, { level })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('concurrency must be a positive integer', () => {
    expect(() => nodeCodecs.createCodec('zstd', { concurrency: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('codecs do not keep the process alive', () => {
  let child: ChildModules;
  beforeAll(async () => {
    child = await transpileForChild(['node/codecs.ts']);
  });
  afterAll(() => child.dispose());

  function runChild(script: string): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
    const file = join(child.dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(file, script);
    return new Promise((resolve) => {
      const proc = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        proc.kill('SIGKILL');
      }, 100_000); // generous: a busy CI machine is slow to start node + workers; a hang never ends
      proc.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, timedOut });
      });
    });
  }

  const script = (closeIt: boolean, options = "{ zstdBackend: 'workers', concurrency: 2 }", name = 'zstd'): string => `
    import { nodeCodecs } from ${JSON.stringify(child.path('node/codecs.ts'))};
    const codec = nodeCodecs.createCodec('${name}', ${options});
    const block = new Uint8Array(65536).map((_, i) => (i * 7) % 251 < 200 ? 65 : i & 255);
    const outs = await Promise.all(Array.from({ length: 8 }, () => codec.compress(block)));
    console.log('compressed', outs.filter((o) => o && o.length > 0).length);
    ${closeIt ? 'await codec.close(); console.log("closed");' : ''}
  `;

  it('exits after close() terminates the workers', async () => {
    const result = await runChild(script(true));
    expect(result.stderr).toBe('');
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('compressed 8\nclosed\n');
  });

  it('exits when idle workers were never closed (they are unref-ed while idle)', async () => {
    const result = await runChild(script(false));
    expect(result.stderr).toBe('');
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('compressed 8\n');
  });

  it('exits when idle gzip workers were never closed', async () => {
    const result = await runChild(script(false, '{ concurrency: 2 }', 'gzip'));
    expect(result.stderr).toBe('');
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('compressed 8\n');
  });

  it('exits when decompression workers were started (prepareAsync) and never used', async () => {
    const result = await runChild(`
      import { nodeCodecs } from ${JSON.stringify(child.path('node/codecs.ts'))};
      nodeCodecs.decompressor(1).prepareAsync();
      console.log('started');
    `);
    expect(result.stderr).toBe('');
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('started\n');
  });

  it('exits when the decompression workers were never closed (decompressAsync)', async () => {
    const result = await runChild(`
      import zlib from 'node:zlib';
      import { nodeCodecs } from ${JSON.stringify(child.path('node/codecs.ts'))};
      const block = new Uint8Array(65536).map((_, i) => (i * 7) % 251 < 200 ? 65 : i & 255);
      const z = zlib.deflateSync(block);
      const d = nodeCodecs.decompressor(1);
      const outs = await Promise.all(Array.from({ length: 8 }, () => d.decompressAsync(z, block.length)));
      console.log('decompressed', outs.filter((o) => o.length === block.length).length);
    `);
    expect(result.stderr).toBe('');
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('decompressed 8\n');
  });

  it("leave the host process's error handling alone (the listeners libdeflate's emscripten glue adds are removed)", async () => {
    const result = await runChild(`
      import { nodeCodecs } from ${JSON.stringify(child.path('node/codecs.ts'))};
      const codec = nodeCodecs.createCodec('gzip', { concurrency: 2 });
      const block = new Uint8Array(65536).map((_, i) => (i * 7) % 251 < 200 ? 65 : i & 255);
      codec.compressSync(block);
      await Promise.all([codec.compress(block), codec.compress(block)]);
      console.log('listeners', process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection'));
      Promise.reject(new Error('host rejection'));
    `);
    expect(result.timedOut).toBe(false);
    expect(result.stdout).toBe('listeners 0 0\n');
    // Node's own handling of an unhandled rejection: the error printed, exit code 1 (a listener that
    // rethrows would make it 7).
    expect(result.stderr).toMatch(/host rejection/);
    expect(result.code).toBe(1);
  });
});
