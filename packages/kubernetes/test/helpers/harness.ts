import { join } from 'node:path';
import { expect } from 'vitest';
import { KubernetesError, type FetchOptions } from '@sysext-bakery/kubernetes';
import type { Origin } from './origin.js';
import { FAST_RETRY, type tempDir } from './fixtures.js';

export type TempDir = Awaited<ReturnType<typeof tempDir>>;

/** Await `p`, expect it to reject with a KubernetesError and return that error. */
export async function rejection(p: Promise<unknown>): Promise<KubernetesError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(KubernetesError);
    return err as KubernetesError;
  }
  throw new Error('expected a rejection');
}

/**
 * Options for fetching v1.35.0 (x86-64) and CNI v1.9.1 from `origin`, caching under `dir`,
 * with no environment, fast retries and no pinned checksums; `extra` adds or overrides fields.
 */
export function fetchOptions(origin: Origin, dir: TempDir, extra: Partial<FetchOptions> = {}): FetchOptions {
  return {
    version: 'v1.35.0',
    arch: 'x86-64',
    cniVersion: 'v1.9.1',
    k8sBaseUrl: origin.url,
    cniBaseUrl: `${origin.url}/cni`,
    githubApiUrl: `${origin.url}/api`,
    cacheDir: join(dir.path, 'cache'),
    env: {},
    retry: FAST_RETRY,
    pinned: {},
    ...extra,
  };
}
