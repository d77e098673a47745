import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { KubernetesError } from '../core/errors.js';

/** True for `file:` URLs: a local mirror that follows the upstream layout. */
export function isFileUrl(url: string): boolean {
  return url.startsWith('file:');
}

function notFound(url: string, cause: unknown): KubernetesError {
  return new KubernetesError('HTTP', `not found: ${url}`, { url, status: 404, cause });
}

/** Read a small file of a local mirror; a missing file is reported like HTTP 404. */
export async function readLocalText(url: string, maxBytes: number): Promise<string> {
  const path = fileURLToPath(url);
  try {
    const st = await stat(path);
    if (st.size > maxBytes) throw new KubernetesError('IO', `${url} is larger than ${maxBytes} bytes`, { url });
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof KubernetesError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(url, err);
    throw new KubernetesError('IO', `cannot read ${url}: ${(err as Error).message}`, { url, cause: err });
  }
}

/** Open a file of a local mirror as a stream, with its size. */
export async function openLocal(url: string): Promise<{ size: number; stream: NodeJS.ReadableStream }> {
  const path = fileURLToPath(url);
  try {
    const st = await stat(path);
    if (!st.isFile()) throw notFound(url, undefined);
    return { size: st.size, stream: createReadStream(path) };
  } catch (err) {
    if (err instanceof KubernetesError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(url, err);
    throw new KubernetesError('IO', `cannot read ${url}: ${(err as Error).message}`, { url, cause: err });
  }
}
