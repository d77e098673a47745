import { createWriteStream } from 'node:fs';
import { readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
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

  await client.withRetry(url, async ({ madeProgress }) => {
    const headers: Record<string, string> = {};
    if (offset > 0 && validator !== undefined) {
      headers.range = `bytes=${offset}-`;
      headers['if-range'] = validator;
    }
    const res = await client.open(url, headers);
    let total: number | undefined;
    if (res.status === 200) {
      await truncate(partPath, 0);
      offset = 0;
      const etag = header(res.headers, 'etag');
      validator = etag !== undefined && !etag.startsWith('W/') ? etag : header(res.headers, 'last-modified');
      await writeFile(metaPath, JSON.stringify({ url, ...(validator !== undefined ? { validator } : {}) } satisfies PartMeta));
      const len = header(res.headers, 'content-length');
      total = len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined;
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

    const start = offset;
    let done = offset;
    onProgress?.(done, total);
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        done += chunk.length;
        onProgress?.(done, total);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(res.body, counter, createWriteStream(partPath, { flags: 'a' }));
    } catch (err) {
      res.body.destroy();
      offset = await sizeOf(partPath);
      if (offset > start) madeProgress();
      if (validator === undefined) offset = 0; // cannot resume safely without a validator
      throw err;
    }
    offset = await sizeOf(partPath);
    if (total !== undefined && offset !== total) {
      if (offset > start) madeProgress();
      throw client.retryable(new KubernetesError('NETWORK', `short body from ${redact(url)}: ${offset} of ${total} bytes`, { url }));
    }
  });
  await rm(metaPath, { force: true });
}
