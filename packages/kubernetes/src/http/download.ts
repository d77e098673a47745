import { createWriteStream } from 'node:fs';
import { open, readFile, rm, stat, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KubernetesError } from '../core/errors.js';
import { redact } from '../core/urls.js';
import type { HttpClient } from './client.js';
import { isFileUrl, openLocal } from './local.js';

/** Sidecar of a partial download: what it is and how to check it is still the same file. */
interface PartMeta {
  url: string;
  /** A strong ETag or a Last-Modified date, sent as `If-Range` when resuming. */
  validator?: string;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function readMeta(path: string): Promise<PartMeta | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as PartMeta;
  } catch {
    return undefined;
  }
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseContentRange(v: string | undefined): { start: number; total: number | undefined } | undefined {
  const m = v === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(v.trim());
  if (m === null) return undefined;
  return { start: Number(m[1]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

const HIGH_WATER = 8 << 20;
const LOW_WATER = 1 << 20;

type Body = NodeJS.ReadableStream & { destroy(err?: Error): void; destroyed: boolean; errored?: Error | null };

/**
 * Pipe `body` into the file that `ready` opens; resolves after the last write, and rejects only
 * after every received byte is written. The listeners are attached at once, before any await, so
 * no data or error is missed while the file is prepared; the stream stays flowing (a paused
 * stream's buffer would be discarded if the connection died) and pauses only when the disk
 * falls far behind.
 */
function receive(body: Body, ready: Promise<FileHandle>, onBytes: (n: number) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (body.destroyed) {
      reject(body.errored ?? new Error('response body closed early'));
      return;
    }
    let writeError: unknown;
    let fh: FileHandle | undefined;
    let pending = 0;
    let chain: Promise<void> = ready.then(
      (h) => {
        fh = h;
      },
      (err: unknown) => {
        writeError = err;
        body.destroy(err as Error);
      },
    );
    body.on('data', (chunk: Buffer) => {
      pending += chunk.length;
      if (pending > HIGH_WATER) body.pause();
      chain = chain.then(async () => {
        pending -= chunk.length;
        if (writeError !== undefined || fh === undefined) return;
        try {
          await fh.write(chunk);
          onBytes(chunk.length);
        } catch (err) {
          writeError = err;
          body.destroy(err as Error);
        }
        if (pending < LOW_WATER && body.isPaused()) body.resume();
      });
    });
    body.on('end', () => {
      void chain.then(() => (writeError === undefined ? resolve() : reject(writeError)));
    });
    body.on('error', (err: Error) => {
      void chain.then(() => reject(writeError ?? err));
    });
  });
}

export interface DownloadProgress {
  (done: number, total: number | undefined): void;
}

/**
 * Download `url` into `partPath`, resuming what an earlier attempt or an earlier process left
 * there (`Range` + `If-Range`, handling 206, 200 and 416). The `.json` sidecar remembers the
 * URL and the validator. On success both stay in place for the caller to verify and rename;
 * on failure the partial file is kept so the next run resumes it.
 */
export async function downloadToFile(client: HttpClient, url: string, partPath: string, onProgress?: DownloadProgress): Promise<void> {
  const metaPath = `${partPath}.json`;
  if (isFileUrl(url)) {
    const { size, stream } = await openLocal(url);
    let done = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        done += chunk.length;
        onProgress?.(done, size);
        cb(null, chunk);
      },
    });
    await pipeline(stream, counter, createWriteStream(partPath));
    await rm(metaPath, { force: true });
    return;
  }

  const meta = await readMeta(metaPath);
  let offset = meta?.url === url ? await sizeOf(partPath) : 0;
  let validator = meta?.url === url ? meta.validator : undefined;
  if (offset === 0 || validator === undefined) {
    offset = 0;
    validator = undefined;
    await writeFile(partPath, new Uint8Array(0));
    await writeFile(metaPath, JSON.stringify({ url } satisfies PartMeta));
  }

  // Only a new high-water mark counts as progress (which resets the retry budget): a server
  // that ignores Range and cuts every response at the same point must not loop forever.
  let best = offset;
  const progressed = (madeProgress: () => void): void => {
    if (offset > best) {
      best = offset;
      madeProgress();
    }
  };
  await client.withRetry(url, async ({ madeProgress }) => {
    const headers: Record<string, string> = {};
    if (offset > 0 && validator !== undefined) {
      headers.range = `bytes=${offset}-`;
      headers['if-range'] = validator;
    }
    const res = await client.open(url, headers);
    let total: number | undefined;
    let prepare: () => Promise<void>;
    if (res.status === 200) {
      const etag = header(res.headers, 'etag');
      const len = header(res.headers, 'content-length');
      total = len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined;
      offset = 0;
      validator = etag !== undefined && !etag.startsWith('W/') ? etag : header(res.headers, 'last-modified');
      const v = validator;
      prepare = async () => {
        await truncate(partPath, 0);
        await writeFile(metaPath, JSON.stringify({ url, ...(v !== undefined ? { validator: v } : {}) } satisfies PartMeta));
      };
    } else if (res.status === 206) {
      const range = parseContentRange(header(res.headers, 'content-range'));
      if (range === undefined || range.start !== offset) {
        await res.body.dump();
        await truncate(partPath, 0);
        offset = 0;
        validator = undefined;
        throw client.retryable(new KubernetesError('HTTP', `bad Content-Range from ${redact(url)}; restarting the download`, { url, status: 206 }));
      }
      total = range.total;
      prepare = async () => {};
    } else if (res.status === 416) {
      const range = /\*\/(\d+)/.exec(header(res.headers, 'content-range') ?? '');
      await res.body.dump();
      if (range !== null && Number(range[1]) === offset) return; // we already have it all
      await truncate(partPath, 0);
      offset = 0;
      validator = undefined;
      throw client.retryable(new KubernetesError('HTTP', `HTTP 416 for ${redact(url)}; restarting the download`, { url, status: 416 }));
    } else {
      throw await client.statusFailure(res, url);
    }

    let done = offset;
    const ready = prepare().then(() => open(partPath, 'a'));
    onProgress?.(done, total);
    try {
      await receive(res.body as unknown as Body, ready, (n) => {
        done += n;
        onProgress?.(done, total);
      });
    } catch (err) {
      res.body.destroy();
      await ready.then((fh) => fh.close()).catch(() => undefined);
      offset = await sizeOf(partPath);
      progressed(madeProgress);
      if (validator === undefined) offset = 0; // cannot resume safely without a validator
      throw err;
    }
    await (await ready).close();
    offset = await sizeOf(partPath);
    if (total !== undefined && offset !== total) {
      progressed(madeProgress);
      throw client.retryable(new KubernetesError('NETWORK', `short body from ${redact(url)}: ${offset} of ${total} bytes`, { url }));
    }
  });
  await rm(metaPath, { force: true });
}
