import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { KubernetesError } from './errors.js';

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

/** `sha256:<hex>` for messages and lock files. */
export function sha256Label(hex: string): string {
  return `sha256:${hex}`;
}

/** Accept `<hex>` or `sha256:<hex>`; return lowercase hex or `undefined`. */
export function normaliseSha256(value: string): string | undefined {
  const hex = value.trim().toLowerCase().replace(/^sha256:/, '');
  return HEX64.test(hex) ? hex : undefined;
}

/**
 * Parse a published checksum file. dl.k8s.io and crictl publish the bare hex (no newline);
 * the CNI plugins publish `sha256sum` format (`<hex>  <file name>`). When a file name is present
 * it must be `fileName` (optionally with `*` or `./`), otherwise the file is for something else.
 */
export function parseChecksumFile(text: string, fileName: string, url: string, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  const re = algorithm === 'sha256' ? HEX64 : HEX128;
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const candidates: string[] = [];
  for (const line of lines) {
    const [hash, name] = line.split(/\s+/, 2);
    if (hash === undefined) continue;
    const hex = hash.toLowerCase();
    if (!re.test(hex)) continue;
    if (name === undefined) {
      candidates.push(hex);
      continue;
    }
    const bare = name.replace(/^\*/, '').replace(/^\.\//, '');
    if (bare === fileName || bare.endsWith(`/${fileName}`)) candidates.push(hex);
  }
  const unique = [...new Set(candidates)];
  if (unique.length !== 1) {
    throw new KubernetesError(
      'CHECKSUM_INVALID',
      unique.length === 0
        ? `checksum file ${url} holds no ${algorithm} digest for ${fileName}`
        : `checksum file ${url} holds several different digests for ${fileName}`,
      { url, artifact: fileName },
    );
  }
  return unique[0] as string;
}

/** SHA-256 (hex) and size of a file, read as a stream. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    size += buf.length;
    hash.update(buf);
  }
  return { sha256: hash.digest('hex'), size };
}
