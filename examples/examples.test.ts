/** The examples run as documented: the offline Kubernetes build and the generic directory build. */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImageFile } from '@sysext-bakery/squashfs/node';
import { REPO_ROOT, ensureBuilt, runBakery } from '../packages/sysext/test/helpers/cli.js';

let work: string;
beforeAll(async () => {
  ensureBuilt();
  work = await mkdtemp(join(tmpdir(), 'bakery-examples-'));
});
afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** The arguments of the root `npm run example` script, with the output and cache moved to a temp dir. */
async function exampleArgs(out: string, cache: string): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const script = pkg.scripts.example!;
  expect(script.startsWith('bakery ')).toBe(true);
  return script
    .slice('bakery '.length)
    .split(/\s+/)
    .map((a, i, all) => (all[i - 1] === '--output-dir' ? out : all[i - 1] === '--cache-dir' ? cache : a));
}

describe('examples/kubernetes-offline', () => {
  it('npm run example builds the image, SHA256SUMS, sysupdate and Butane files from the bundled mirror', async () => {
    const out = join(work, 'k8s');
    // A proxy that does not exist: any network access would fail the build.
    const r = await runBakery(await exampleArgs(out, join(work, 'cache')), { env: { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', BAKERY_GITHUB_API_URL: 'http://127.0.0.1:9' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual([
      'SHA256SUMS',
      'kubernetes-v1.99.0-x86-64.bu',
      'kubernetes-v1.99.0-x86-64.raw',
      'kubernetes-v1.99.conf',
      'kubernetes-v1.99.transfer',
      'kubernetes.conf',
      'kubernetes.transfer',
    ]);
    const image = await openImageFile(join(out, 'kubernetes-v1.99.0-x86-64.raw'));
    try {
      expect(new TextDecoder().decode(await image.readFile('usr/bin/kubelet'))).toContain('kubelet v1.99.0 (example fixture, linux/amd64)');
      expect((await image.readdir('usr/local/bin/cni')).map((e) => e.name)).toEqual(['README.md', 'bridge', 'host-local', 'loopback', 'portmap']);
      expect(new TextDecoder().decode(await image.readFile('usr/local/share/kubernetes-version'))).toBe('v1.99.0\n');
    } finally {
      await image.close();
    }
    const v = await runBakery(['verify', join(out, 'kubernetes-v1.99.0-x86-64.raw'), '--sysext', '--name', 'kubernetes']);
    expect(v.code).toBe(0);
  });
});

describe('examples/generic-sysext', () => {
  it('builds from the directory as the README says', async () => {
    const out = join(work, 'generic');
    const r = await runBakery(['create', 'examples/generic-sysext/tree', '1.0.0', 'x86-64', '--name', 'hello', '--force-reload', 'true', '--output-dir', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const image = await openImageFile(join(out, 'hello-1.0.0-x86-64.raw'));
    try {
      expect((await image.stat('usr/bin/hello')).mode).toBe(0o755);
      expect(new TextDecoder().decode(await image.readFile('usr/lib/extension-release.d/extension-release.hello'))).toBe('ID=_any\nARCHITECTURE=x86-64\nEXTENSION_RELOAD_MANAGER=1\n');
    } finally {
      await image.close();
    }
  });
});
