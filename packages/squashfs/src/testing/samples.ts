import { open } from 'node:fs/promises';
import type { FileContent } from '../tree/node.js';

/** Files above this size are compared by samples (start, middle, end) instead of a full digest. */
export const FULL_COMPARE_LIMIT = 256 * 1024 * 1024;
const WINDOW = 1 << 20;

/** The byte ranges sampled from a file of `size` bytes. */
export function sampleRanges(size: number): [start: number, end: number][] {
  const mid = Math.floor(size / 2 / 4096) * 4096;
  return [
    [0, Math.min(WINDOW, size)],
    [mid, Math.min(mid + WINDOW, size)],
    [Math.max(0, size - WINDOW), size],
  ];
}

/** Collects the sampled ranges from a stream of chunks (nothing else is kept). */
export async function samplesFromChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number): Promise<{ samples: Uint8Array[]; total: number }> {
  const ranges = sampleRanges(size);
  const samples = ranges.map(([s, e]) => new Uint8Array(e - s));
  let pos = 0;
  for await (const chunk of chunks as AsyncIterable<Uint8Array>) {
    const end = pos + chunk.length;
    ranges.forEach(([s, e], i) => {
      const from = Math.max(s, pos);
      const to = Math.min(e, end);
      if (from < to) samples[i]!.set(chunk.subarray(from - pos, to - pos), from - s);
    });
    pos = end;
  }
  return { samples, total: pos };
}

export function expectedSamples(content: FileContent, size: number): Promise<{ samples: Uint8Array[]; total: number }> {
  return samplesFromChunks(content.bytes !== undefined ? [content.bytes] : content.open(), size);
}

/** Reads the sampled ranges of a file on disk. */
export async function fileSamples(path: string, size: number): Promise<Uint8Array[]> {
  const handle = await open(path, 'r');
  try {
    const out: Uint8Array[] = [];
    for (const [s, e] of sampleRanges(size)) {
      const buf = new Uint8Array(e - s);
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await handle.read(buf, done, buf.length - done, s + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      out.push(buf);
    }
    return out;
  } finally {
    await handle.close();
  }
}

export function samplesEqual(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((x, i) => Buffer.compare(Buffer.from(x), Buffer.from(b[i]!)) === 0);
}
