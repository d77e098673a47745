import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { KubernetesError, type FetchOptions } from '@sysext-bakery/kubernetes';
import { Origin } from './origin.js';
import { FAST_RETRY, tempDir } from './fixtures.js';

export type TempDir = Awaited<ReturnType<typeof tempDir>>;

/**
 * Around each test: start an Origin and make a temp dir, then call `setup` with both (assign them
 * to the test file's variables there, and publish what its tests need); afterwards close the
 * origin and remove the dir.
 */
export function withOriginAndTempDir(setup: (origin: Origin, dir: TempDir) => void): void {
  let origin: Origin;
  let dir: TempDir;
  beforeEach(async () => {
    origin = await Origin.start();
    dir = await tempDir();
    setup(origin, dir);
  });
  afterEach(async () => {
    await origin.close();
    await dir.cleanup();
  });
}

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
