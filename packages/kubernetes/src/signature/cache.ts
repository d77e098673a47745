import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SigstoreBundle } from './bundle.js';

/** `<cache>/artifacts/signatures/sha256/<hex>.sigstore.json`: the bundle of the artifact with that digest. */
export function bundlePath(artifactsRoot: string, sha256Hex: string): string {
  return join(artifactsRoot, 'signatures', 'sha256', `${sha256Hex}.sigstore.json`);
}

/** The cached bundle, or `undefined` when there is none (or it is not JSON). */
export async function readCachedBundle(path: string): Promise<SigstoreBundle | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as SigstoreBundle;
  } catch {
    return undefined;
  }
}

export async function writeCachedBundle(path: string, bundle: SigstoreBundle): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(bundle, null, 2)}\n`);
  await rename(tmp, path);
}
