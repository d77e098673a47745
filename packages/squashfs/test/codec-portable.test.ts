/**
 * Portable codecs (libdeflate, @bokuweb/zstd-wasm, fzstd): framing the kernel needs, raw fallback,
 * options payloads, bounded decompression. Oracles: node:zlib (a different zlib implementation)
 * and the zstd CLI (when installed; otherwise those cases report themselves skipped).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SquashfsError,
  adler32,
  compressorOptions,
  portableCodecs,
  readZstdFrameHeader,
  ready,
  scanZstdFrames,
} from '@sysext-bakery/squashfs';
import { transpileForChild } from './file-io-transpile.js';

const hasZstdCli = spawnSync('zstd', ['--version']).status === 0;
if (!hasZstdCli) console.warn('SKIPPED: zstd CLI not installed (apt-get install zstd): CLI oracle cases skip');

const work = mkdtempSync(join(tmpdir(), 'codec-portable-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Deterministic, partly compressible test data (text-like runs mixed with noise). */
function sample(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (i & 1023) < 768 ? 97 + ((i * 31 + (i >> 7)) % 23) : x & 0xff;
  }
  return out;
}

/** Byte equality without vitest's slow element-wise diff of large typed arrays. */
function expectBytes(actual: Uint8Array | null, expected: Uint8Array): void {
  expect(actual).not.toBeNull();
  const a = actual!;
  if (a.length === expected.length && Buffer.compare(a, expected) === 0) return;
  let at = 0;
  while (at < Math.min(a.length, expected.length) && a[at] === expected[at]) at++;
  expect.fail(`bytes differ: lengths ${a.length} / ${expected.length}, first difference at ${at}`);
}

function noise(size: number, seed = 7): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('zstd before the WASM module is loaded', () => {
  it('compressSync says to await ready() until compress() or ready() loaded it', () => {
    const codec = portableCodecs.createCodec('zstd');
    expect(() => codec.compressSync(sample(4096))).toThrow(/ready\(\)/);
  });
});

describe('gzip (zlib stream)', () => {
  const block = sample(128 * 1024);

  it('is an RFC 1950 zlib stream that node:zlib inflates back to the block', async () => {
    const codec = portableCodecs.createCodec('gzip');
    expect(codec.id).toBe(1);
    expect(codec.level).toBe(7);
    const out = (await codec.compress(block))!;
    expect(out).not.toBeNull();
    expect(out[0]! & 0x0f).toBe(8); // CM = deflate
    expect(((out[0]! << 8) | out[1]!) % 31).toBe(0); // FCHECK
    expectBytes(new Uint8Array(zlib.inflateSync(out)), block);
    expect(() => zlib.inflateRawSync(out)).toThrow(); // not raw deflate
    expectBytes(codec.compressSync(block), out);
  });

  it.each([1, 5, 9])('level %i round-trips through the portable decompressor', async (level) => {
    const codec = portableCodecs.createCodec('gzip', { level });
    const out = (await codec.compress(block))!;
    expectBytes(portableCodecs.decompressor(1)!.decompress(out, block.length), block);
  });

  it('compresses 1 MiB blocks (the largest block size) at levels 1-9, past the WASM heap it starts with', () => {
    // 16 MiB initial heap: 20 blocks of 1 MiB in and out would not fit if memory were not freed or grown.
    const big = sample(1 << 20, 5);
    for (let i = 0; i < 20; i++) {
      const level = 1 + (i % 9);
      const out = portableCodecs.createCodec('gzip', { level }).compressSync(big)!;
      expectBytes(new Uint8Array(zlib.inflateSync(out)), big);
    }
  });

  it('decompresses blocks deflated by node:zlib at every level', () => {
    for (let level = 1; level <= 9; level++) {
      const z = zlib.deflateSync(block, { level });
      expectBytes(portableCodecs.decompressor(1)!.decompress(z, block.length), block);
    }
  });
});

describe('zstd (one frame with its content size)', () => {
  it.each([
    [4096, 15],
    [128 * 1024, 15],
    [128 * 1024, 1],
    [32 * 1024, 22],
    [512 * 1024, 19],
    [1024 * 1024, 9],
  ])('a %i-byte block at level %i: content size in the header, window <= block', async (size, level) => {
    const block = sample(size, size + level);
    const codec = portableCodecs.createCodec('zstd', { level });
    const out = (await codec.compress(block))!;
    expect(out).not.toBeNull();
    // Frame header descriptor: FCS field present (flag != 0 or single segment), no dictionary.
    const fhd = out[4]!;
    expect(fhd >> 6 !== 0 || (fhd & 0x20) !== 0).toBe(true);
    expect(fhd & 3).toBe(0);
    const header = readZstdFrameHeader(out);
    expect(header.contentSize).toBe(size);
    expect(header.windowSize).toBeLessThanOrEqual(Math.max(size, 8192));
    const frames = scanZstdFrames(out);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.end).toBe(out.length);
    expectBytes(portableCodecs.decompressor(6)!.decompress(out, size), block);
  });

  it('compressSync matches compress once loaded', async () => {
    await ready();
    const block = sample(64 * 1024, 3);
    const codec = portableCodecs.createCodec('zstd', { level: 15 });
    expectBytes(codec.compressSync(block), (await codec.compress(block))!);
  });

  it.skipIf(!hasZstdCli)('the zstd CLI decodes our frames and reports their content size', async () => {
    const block = sample(200_000, 11);
    const out = (await portableCodecs.createCodec('zstd').compress(block))!;
    const file = join(work, 'block.zst');
    writeFileSync(file, out);
    expectBytes(new Uint8Array(execFileSync('zstd', ['-d', '-c', file])), block);
    const list = execFileSync('zstd', ['-lv', file]).toString();
    expect(list).toMatch(/# Zstandard Frames: 1/);
    expect(list).toMatch(/Decompressed Size: .*\(200000 B\)/);
  });

  it.skipIf(!hasZstdCli)('decodes frames made by the zstd CLI (with and without checksum and content size)', () => {
    const block = sample(100_000, 5);
    const file = join(work, 'cli-in.bin');
    writeFileSync(file, block);
    for (const args of [['-19'], ['-3', '--no-check'], ['-15', '--no-content-size']]) {
      const z = new Uint8Array(execFileSync('zstd', [...args, '-c', file]));
      expectBytes(portableCodecs.decompressor(6)!.decompress(z, block.length), block);
      expect(() => portableCodecs.decompressor(6)!.decompress(z, block.length - 1)).toThrow();
    }
    // A streamed frame (stdin, no size known) carries no content size and a window larger than
    // any block: the kernel's static workspace cannot take it (format notes §2.10), so neither do we.
    const streamed = new Uint8Array(execFileSync('zstd', ['-3', '-c', '-'], { input: block }));
    expect(readZstdFrameHeader(streamed).contentSize).toBeUndefined();
    expect(readZstdFrameHeader(streamed).windowSize).toBeGreaterThan(1 << 20);
    expect(() => portableCodecs.decompressor(6)!.decompress(streamed, block.length)).toThrow(/kernel cannot decode/);
  });

  it('compresses 1 MiB blocks at level 15 (mksquashfs -b 1M -comp zstd) into one sized frame', async () => {
    const block = sample(1 << 20, 21);
    const out = (await portableCodecs.createCodec('zstd', { level: 15 }).compress(block))!;
    expect(readZstdFrameHeader(out).contentSize).toBe(1 << 20);
    expect(scanZstdFrames(out)).toHaveLength(1);
    expectBytes(portableCodecs.decompressor(6)!.decompress(out, 1 << 20), block);
  });
});

describe('raw fallback', () => {
  it.each(['gzip', 'zstd'] as const)('%s returns null for incompressible and empty blocks', async (name) => {
    const codec = portableCodecs.createCodec(name);
    expect(await codec.compress(noise(128 * 1024))).toBeNull();
    expect(await codec.compress(noise(16))).toBeNull();
    expect(await codec.compress(new Uint8Array(0))).toBeNull();
    expect(await codec.compress(new Uint8Array(4096))).not.toBeNull();
  });
});

describe('levels and compressor options', () => {
  it('omits the options block for the levels squashfs-tools implies without one (gzip 9, zstd 15)', () => {
    expect(portableCodecs.createCodec('gzip', { level: 9 }).options).toBeNull();
    expect(portableCodecs.createCodec('zstd', { level: 15 }).options).toBeNull();
  });

  it('writes the default zstd level 14 in an options block (squashfs-tools would assume 15 without one)', () => {
    expect([...portableCodecs.createCodec('zstd').options!]).toEqual([14, 0, 0, 0]);
  });

  it('writes gzip u32 level, u16 window 15, u16 strategies 0 (as mksquashfs -Xcompression-level 6), also for the default 7', () => {
    expect([...portableCodecs.createCodec('gzip').options!]).toEqual([7, 0, 0, 0, 15, 0, 0, 0]);
    expect([...portableCodecs.createCodec('gzip', { level: 6 }).options!]).toEqual([6, 0, 0, 0, 15, 0, 0, 0]);
    expect([...compressorOptions('gzip', 1)]).toEqual([1, 0, 0, 0, 15, 0, 0, 0]);
  });

  it('writes zstd u32 level (as mksquashfs -Xcompression-level 19)', () => {
    expect([...portableCodecs.createCodec('zstd', { level: 19 }).options!]).toEqual([0x13, 0, 0, 0]);
  });

  it.each([
    ['gzip', 0],
    ['gzip', 10],
    ['gzip', 4.5],
    ['zstd', 0],
    ['zstd', 23],
    ['zstd', Number.NaN],
  ] as const)('rejects %s level %s with INVALID_ARGUMENT', (name, level) => {
    expect(() => portableCodecs.createCodec(name, { level })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(new RegExp(`${name} compression level`)) }),
    );
  });

  it('rejects an unknown compressor name', () => {
    expect(() => portableCodecs.createCodec('xz' as 'gzip')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('has decompressors for ids 1 and 6 only', () => {
    expect(portableCodecs.decompressor(1)?.id).toBe(1);
    expect(portableCodecs.decompressor(6)?.id).toBe(6);
    for (const id of [0, 2, 3, 4, 5, 7]) expect(portableCodecs.decompressor(id)).toBeUndefined();
  });
});

describe('decompressors reject what a block cannot be', () => {
  const block = sample(64 * 1024, 9);
  const gz = zlib.deflateSync(block, { level: 9 });
  const gunzip = portableCodecs.decompressor(1)!;
  const unzstd = portableCodecs.decompressor(6)!;

  it('gzip: output over maxSize, bad Adler-32, truncation, raw deflate, gzip wrapper', () => {
    expectBytes(gunzip.decompress(gz, block.length), block);
    expect(() => gunzip.decompress(gz, block.length - 1)).toThrow(/more than/);
    const badSum = new Uint8Array(gz);
    badSum[badSum.length - 1]! ^= 1;
    expect(() => gunzip.decompress(badSum, block.length)).toThrow(/Adler-32/);
    expect(() => gunzip.decompress(gz.subarray(0, gz.length - 10), block.length)).toThrow();
    expect(() => gunzip.decompress(zlib.deflateRawSync(block), block.length)).toThrow();
    expect(() => gunzip.decompress(zlib.gzipSync(block), block.length)).toThrow();
    expect(() => gunzip.decompress(new Uint8Array(3), block.length)).toThrow();
  });

  it('gzip: a deflate bomb stops at maxSize', () => {
    const bomb = zlib.deflateSync(new Uint8Array(16 << 20));
    expect(() => gunzip.decompress(bomb, 1 << 20)).toThrow(/more than/);
  });

  it('zstd: declared size over maxSize, truncation, trailing bytes, bad magic, reserved bit', async () => {
    const z = (await portableCodecs.createCodec('zstd').compress(block))!;
    expectBytes(unzstd.decompress(z, block.length), block);
    expect(() => unzstd.decompress(z, block.length - 1)).toThrow(/declares/);
    expect(() => unzstd.decompress(z.subarray(0, z.length - 5), block.length)).toThrow();
    expect(() => unzstd.decompress(new Uint8Array([...z, 0, 0, 0]), block.length)).toThrow();
    const badMagic = new Uint8Array(z);
    badMagic[0] = 0x29;
    expect(() => unzstd.decompress(badMagic, block.length)).toThrow(/magic/);
    const reserved = new Uint8Array(z);
    reserved[4]! |= 0x08;
    expect(() => unzstd.decompress(reserved, block.length)).toThrow(/reserved/);
  });

  it('zstd: two concatenated frames decode as one block when they fit', async () => {
    const codec = portableCodecs.createCodec('zstd');
    const a = sample(3000, 1);
    const b = sample(5000, 2);
    const both = new Uint8Array([...(await codec.compress(a))!, ...(await codec.compress(b))!]);
    expectBytes(unzstd.decompress(both, 8000), new Uint8Array([...a, ...b]));
    expect(() => unzstd.decompress(both, 7999)).toThrow();
  });
});

describe('adler32', () => {
  it('matches the trailer node:zlib writes', () => {
    for (const size of [0, 1, 5551, 5552, 5553, 100_000]) {
      const data = sample(size, size);
      const z = zlib.deflateSync(data);
      expect(adler32(data)).toBe(z.readUInt32BE(z.length - 4));
    }
    expect(adler32(new Uint8Array(200_000).fill(255))).toBe(zlib.deflateSync(new Uint8Array(200_000).fill(255)).readUInt32BE(
      zlib.deflateSync(new Uint8Array(200_000).fill(255)).length - 4,
    ));
  });
});

it('loading and using the zstd WASM registers no process handlers (child process)', async () => {
  const child = await transpileForChild(['compress/portable.ts']);
  try {
    const script = join(child.dir, 'handlers.mjs');
    writeFileSync(
      script,
      `const events = ['uncaughtException', 'unhandledRejection', 'exit', 'beforeExit', 'SIGINT', 'SIGTERM'];
      const count = () => events.map((e) => process.listenerCount(e)).join(',');
      const before = count();
      const { portableCodecs, ready } = await import(${JSON.stringify(child.path('compress/portable.ts'))});
      await ready();
      const out = await portableCodecs.createCodec('zstd').compress(new Uint8Array(100000).fill(1));
      console.log(before + '|' + count() + '|' + out.length);`,
    );
    const result = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const [before, after, size] = result.stdout.trim().split('|');
    expect(after).toBe(before);
    expect(after!.split(',').slice(0, 2)).toEqual(['0', '0']); // uncaughtException, unhandledRejection
    expect(Number(size)).toBeGreaterThan(0);
  } finally {
    await child.dispose();
  }
});
