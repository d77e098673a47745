/**
 * The kernel is the oracle for zstd framing (format notes §2.10): images with 1 MiB blocks,
 * compressed by the WASM worker pool (any Node, level 15 = mksquashfs' default) and by node:zlib's
 * native zstd (Node >= 22.15, level 19), are loop-mounted and walked; unsquashfs checks them too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tree, readZstdFrameHeader, writeImage } from '@sysext-bakery/squashfs';
import { createFileSink, hasNativeZstd, nodeCodecs, type NodeCodecOptions } from '@sysext-bakery/squashfs/node';
import { checkImage, kernelMountUnavailable } from '@sysext-bakery/squashfs/testing';

const work = mkdtempSync(join(tmpdir(), 'codec-kernel-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function content(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = (i & 4095) < 3000 ? 97 + ((i * 13 + (i >> 12) + seed) % 26) : x >>> 24;
  }
  return out;
}

function tree(): Tree {
  const t = new Tree({ defaults: { mtime: 1_700_000_000 } });
  t.file('big', content(2 * 1024 * 1024 + 17, 1)); // 2 full 1 MiB blocks + a tail
  t.file('exact', content(1024 * 1024, 2)); // exactly one block
  t.file('dir/one-and-a-half', content(1536 * 1024, 3));
  for (let i = 0; i < 20; i++) t.file(`dir/small-${i}`, content(100 + i * 997, 10 + i));
  return t;
}

const kernelWhy = await kernelMountUnavailable();
if (kernelWhy !== undefined) console.warn(`SKIPPED: kernel mount of zstd images: ${kernelWhy}`);
if (!hasNativeZstd()) console.warn(`SKIPPED: native zstd cases (node:zlib has no zstd in Node ${process.versions.node}; CI runs them under Node 24)`);

async function mountAndCompare(name: string, codecOptions: NodeCodecOptions): Promise<void> {
  const image = join(work, `${name}.sqfs`);
  const codec = nodeCodecs.createCodec('zstd', codecOptions);
  const t = tree();
  await writeImage(t, await createFileSink(image), { compression: codec, blockSize: 1 << 20 });
  await codec.close();
  const report = await checkImage(image, t, { oracles: ['kernel', 'unsquashfs'], blockSize: 1 << 20, compression: 'zstd' });
  expect(report.unavailable).toEqual([]);
  expect(report.differences).toEqual([]); // first: its messages say what went wrong
  expect(report.results.map((r) => `${r.oracle}:${r.status}`)).toEqual(['kernel:pass', 'unsquashfs:pass']);
}

describe('zstd images with 1 MiB blocks', () => {
  it.skipIf(kernelWhy !== undefined)('WASM worker pool, level 15: the kernel mounts the image and reads every file back', () =>
    mountAndCompare('workers-15', { zstdBackend: 'workers', level: 15 }));

  it.skipIf(kernelWhy !== undefined || !hasNativeZstd())('native node:zlib zstd, level 19: the kernel mounts the image and reads every file back', () =>
    mountAndCompare('native-19', { zstdBackend: 'native', level: 19 }));

  it('the native and worker codecs frame a 1 MiB block the same way (content size, window <= block)', async () => {
    const block = content(1 << 20, 5);
    const frames = [await nodeCodecs.createCodec('zstd', { zstdBackend: 'workers' }).compress(block)];
    if (hasNativeZstd()) frames.push(await nodeCodecs.createCodec('zstd', { zstdBackend: 'native' }).compress(block));
    for (const frame of frames) {
      const header = readZstdFrameHeader(frame!);
      expect(header.contentSize).toBe(1 << 20);
      expect(header.windowSize).toBeLessThanOrEqual(1 << 20);
    }
  });
});
