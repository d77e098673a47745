import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { KubernetesError } from '../core/errors.js';
import { hashFile, sha256Label } from '../core/checksum.js';
import type { FetchedArtifact } from './fetch.js';

/**
 * Stream a fetched artifact from the cache as chunks, re-checking its sha256 on the way: if the
 * cached file was changed since it was verified (or, fetched with `verifyCache: 'on-read'`, since
 * it was downloaded), the stream fails with `CHECKSUM_MISMATCH` (`cachedPath` set) at its end,
 * before the consumer can finish. Feed the CNI tarball to the squashfs tar reader:
 *
 * ```ts
 * await addTar(tree, openArtifact(result.cni), { prefix: 'usr/local/bin/cni', strict: true });
 * ```
 */
export async function* openArtifact(artifact: ArtifactFile): AsyncGenerator<Uint8Array, void, undefined> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(artifact.path, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    hash.update(buf);
    size += buf.length;
    if (size > artifact.size) break;
    yield new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  }
  const actual = hash.digest('hex');
  if (size !== artifact.size || actual !== artifact.sha256) throw changed(artifact, size > artifact.size ? 'more bytes' : `${sha256Label(actual)} (${size} bytes)`, actual);
}

/**
 * Hashes a fetched artifact's cached file whole and fails with the `CHECKSUM_MISMATCH` (with
 * `cachedPath`) that {@link openArtifact} would give if it no longer matches: for a reader that
 * failed on the way (a changed tarball may break gunzip before openArtifact's check at its end)
 * and needs to know whether the file was the cause.
 */
export async function recheckArtifact(artifact: ArtifactFile): Promise<void> {
  let file: { sha256: string; size: number };
  try {
    file = await hashFile(artifact.path);
  } catch (error) {
    throw changed(artifact, `a file that cannot be read (${(error as Error).message})`);
  }
  if (file.size !== artifact.size || file.sha256 !== artifact.sha256) throw changed(artifact, `${sha256Label(file.sha256)} (${file.size} bytes)`, file.sha256);
}

type ArtifactFile = Pick<FetchedArtifact, 'path' | 'sha256' | 'size' | 'fileName' | 'url'>;

function changed(artifact: ArtifactFile, got: string, actual?: string): KubernetesError {
  return new KubernetesError(
    'CHECKSUM_MISMATCH',
    `cached ${artifact.fileName} at ${artifact.path} changed after verification: expected ${sha256Label(artifact.sha256)} (${artifact.size} bytes), got ${got}`,
    { artifact: artifact.fileName, url: artifact.url, expected: sha256Label(artifact.sha256), ...(actual === undefined ? {} : { actual: sha256Label(actual) }), cachedPath: artifact.path },
  );
}
