import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { KubernetesError } from '../core/errors.js';
import { normaliseSha256 } from '../core/checksum.js';

/** One artifact in a lock file. */
export interface LockEntry {
  /** `sha256:<hex>` */
  sha256: string;
  size: number;
  /** Where it was downloaded from (informational; the digest is what is enforced). */
  url: string;
}

/**
 * A lock file: the digests of the artifacts of earlier builds, keyed `<name>/<version>/<arch>`
 * (e.g. `kubelet/v1.32.0/amd64`, `cni-plugins/v1.9.1/arm64`). Write it from one build and pass it
 * to the next: any artifact it covers must match byte for byte.
 */
export interface LockFile {
  lockfileVersion: 1;
  artifacts: Record<string, LockEntry>;
}

/** An empty lock file. */
export function emptyLock(): LockFile {
  return { lockfileVersion: 1, artifacts: {} };
}

/** Validate a parsed lock file; throws `INVALID_ARGUMENT` naming the problem. */
export function parseLockFile(value: unknown, where = 'lock file'): LockFile {
  const bad = (why: string): KubernetesError => new KubernetesError('INVALID_ARGUMENT', `${where}: ${why}`);
  if (typeof value !== 'object' || value === null) throw bad('not a JSON object');
  const v = value as { lockfileVersion?: unknown; artifacts?: unknown };
  if (v.lockfileVersion !== 1) throw bad(`unsupported lockfileVersion ${JSON.stringify(v.lockfileVersion)} (expected 1)`);
  if (typeof v.artifacts !== 'object' || v.artifacts === null || Array.isArray(v.artifacts)) throw bad('"artifacts" must be an object');
  const out = emptyLock();
  for (const [key, raw] of Object.entries(v.artifacts as Record<string, unknown>)) {
    if (!/^[a-z-]+\/v[^/]+\/[a-z0-9]+$/.test(key)) throw bad(`bad key "${key}" (expected name/version/arch)`);
    const e = raw as { sha256?: unknown; size?: unknown; url?: unknown } | null;
    const hex = typeof e?.sha256 === 'string' ? normaliseSha256(e.sha256) : undefined;
    if (hex === undefined) throw bad(`"${key}" has no valid sha256`);
    if (typeof e?.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0) throw bad(`"${key}" has no valid size`);
    out.artifacts[key] = { sha256: `sha256:${hex}`, size: e.size, url: typeof e.url === 'string' ? e.url : '' };
  }
  return out;
}

/** Read and validate a lock file. */
export async function readLockFile(path: string): Promise<LockFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new KubernetesError('IO', `cannot read lock file ${path}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KubernetesError('INVALID_ARGUMENT', `lock file ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseLockFile(json, `lock file ${path}`);
}

/** Serialise a lock file deterministically (sorted keys, 2-space indent, final newline). */
export function formatLockFile(lock: LockFile): string {
  const artifacts: Record<string, LockEntry> = {};
  for (const key of Object.keys(lock.artifacts).sort()) {
    const e = lock.artifacts[key] as LockEntry;
    artifacts[key] = { sha256: e.sha256, size: e.size, url: e.url };
  }
  return `${JSON.stringify({ lockfileVersion: 1, artifacts }, null, 2)}\n`;
}

/** Write a lock file atomically (temp file, then rename). */
export async function writeLockFile(path: string, lock: LockFile): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, formatLockFile(lock));
    await rename(tmp, path);
  } catch (err) {
    throw new KubernetesError('IO', `cannot write lock file ${path}: ${(err as Error).message}`, { cause: err });
  }
}
