import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  KubernetesError,
  listKubernetesVersions,
  resolveCniVersion,
  resolveCrictlVersion,
  resolveKubernetesVersion,
  toKubernetesArch,
  toSystemdArch,
  compareVersions,
  type ListVersionsOptions,
} from '@sysext-bakery/kubernetes';
import { Origin } from './helpers/origin.js';
import { FAST_RETRY } from './helpers/fixtures.js';
import { rejection } from './helpers/harness.js';

let origin: Origin;
beforeEach(async () => {
  origin = await Origin.start();
});
afterEach(async () => {
  await origin.close();
});

const common = () => ({ k8sBaseUrl: origin.url, githubApiUrl: `${origin.url}/api`, env: {}, retry: FAST_RETRY });

describe('resolveKubernetesVersion', () => {
  it('returns exact versions normalised, without any request', async () => {
    expect(await resolveKubernetesVersion('v1.32.0', common())).toBe('v1.32.0');
    expect(await resolveKubernetesVersion('1.32.0', common())).toBe('v1.32.0');
    expect(await resolveKubernetesVersion(' 1.33.0-rc.1 ', common())).toBe('v1.33.0-rc.1');
    expect(origin.log).toHaveLength(0);
  });

  it('reads stable.txt, latest.txt and the per-minor markers', async () => {
    origin.file('/release/stable.txt', 'v1.36.4');
    origin.file('/release/latest.txt', 'v1.37.0-alpha.3');
    origin.file('/release/stable-1.32.txt', 'v1.32.13');
    origin.file('/release/latest-1.35.txt', 'v1.35.8');
    expect(await resolveKubernetesVersion('stable', common())).toBe('v1.36.4');
    expect(await resolveKubernetesVersion('latest', common())).toBe('v1.37.0-alpha.3');
    expect(await resolveKubernetesVersion('v1.32', common())).toBe('v1.32.13');
    expect(await resolveKubernetesVersion('1.32', common())).toBe('v1.32.13');
    expect(await resolveKubernetesVersion('latest-1.35', common())).toBe('v1.35.8');
  });

  it('reads markers from BAKERY_K8S_BASE_URL', async () => {
    origin.file('/mirror/release/stable.txt', 'v1.36.1');
    expect(await resolveKubernetesVersion('stable', { env: { BAKERY_K8S_BASE_URL: `${origin.url}/mirror/` }, retry: FAST_RETRY })).toBe('v1.36.1');
  });

  it('a minor without releases is VERSION_NOT_FOUND, with the pre-release hint when there is one', async () => {
    origin.file('/release/latest-1.37.txt', 'v1.37.0-beta.1');
    const err = await rejection(resolveKubernetesVersion('v1.37', common()));
    expect(err.code).toBe('VERSION_NOT_FOUND');
    expect(err.message).toContain('stable-1.37.txt');
    expect(err.message).toContain('v1.37.0-beta.1');
    expect(err.message).toContain('bakery list kubernetes');
    const err2 = await rejection(resolveKubernetesVersion('1.99', common()));
    expect(err2.code).toBe('VERSION_NOT_FOUND');
    expect(err2.message).not.toContain('pre-release');
  });

  it('rejects garbage specs and garbage markers', async () => {
    expect((await rejection(resolveKubernetesVersion('one.two', common()))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(resolveKubernetesVersion('v1.32.0; rm -rf', common()))).code).toBe('INVALID_ARGUMENT');
    origin.file('/release/stable.txt', '<html>captive portal</html>');
    const err = await rejection(resolveKubernetesVersion('stable', common()));
    expect(err.code).toBe('HTTP');
    expect(err.message).toContain('not a version');
  });

  it('retries a flaky marker', async () => {
    origin.file('/release/stable.txt', 'v1.36.4');
    origin.fault('/release/stable.txt', { kind: 'status', status: 503 }, { kind: 'status', status: 500 });
    expect(await resolveKubernetesVersion('stable', common())).toBe('v1.36.4');
    expect(origin.hits('/release/stable.txt')).toHaveLength(3);
  });
});

/** A GitHub releases API for kubernetes/kubernetes with `perPage` releases per page and Link headers. */
function serveReleases(o: Origin, releases: Array<{ tag_name: string; prerelease?: boolean; draft?: boolean }>, perPage = 5): void {
  o.route('/api/repos/kubernetes/kubernetes/releases', (req, res) => {
    const url = new URL(req.url ?? '/', o.url);
    const page = Number(url.searchParams.get('page') ?? '1');
    const slice = releases.slice((page - 1) * perPage, page * perPage).map((r) => ({ prerelease: false, draft: false, ...r }));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (page * perPage < releases.length) headers.link = `<${o.url}/api/repos/kubernetes/kubernetes/releases?per_page=100&page=${page + 1}>; rel="next", <${o.url}/x>; rel="last"`;
    res.writeHead(200, headers);
    res.end(JSON.stringify(slice));
  });
}

// Newest first, interleaved as GitHub orders them by creation date.
const RELEASES = [
  { tag_name: 'v1.37.0-rc.0', prerelease: true },
  { tag_name: 'v1.36.4' },
  { tag_name: 'v1.35.8' },
  { tag_name: 'v1.34.11' },
  { tag_name: 'v1.33.12' },
  { tag_name: 'v1.36.3' },
  { tag_name: 'v1.36.4-draft', draft: true },
  { tag_name: 'v1.36.0' },
  { tag_name: 'v1.35.7' },
  { tag_name: 'v1.34.10' },
  { tag_name: 'v1.35.0' },
  { tag_name: 'v1.34.0' },
  { tag_name: 'v1.33.11' },
  { tag_name: 'v1.32.9' },
  { tag_name: 'v1.33.0' },
  { tag_name: 'v1.32.0' },
];

describe('listKubernetesVersions', () => {
  const opts = (extra: Partial<ListVersionsOptions> = {}): ListVersionsOptions => ({ ...common(), ...extra });

  it('lists every stable release of the newest 3 minors from paginated GitHub releases, newest first', async () => {
    serveReleases(origin, RELEASES);
    const list = await listKubernetesVersions(opts());
    expect(list).toEqual(['v1.36.4', 'v1.36.3', 'v1.36.0', 'v1.35.8', 'v1.35.7', 'v1.35.0', 'v1.34.11', 'v1.34.10', 'v1.34.0']);
    // stopped once v1.34.0 (oldest supported .0) was seen: page 3 of 4 (5 per page)
    expect(origin.hits('/api/repos/kubernetes/kubernetes/releases').length).toBe(3);
  });

  it('--latest gives the newest patch per supported minor; minors is configurable', async () => {
    serveReleases(origin, RELEASES);
    expect(await listKubernetesVersions(opts({ latest: true }))).toEqual(['v1.36.4', 'v1.35.8', 'v1.34.11']);
    expect(await listKubernetesVersions(opts({ latest: true, minors: 4 }))).toEqual(['v1.36.4', 'v1.35.8', 'v1.34.11', 'v1.33.12']);
  });

  it('sends GITHUB_TOKEN / GH_TOKEN to the API', async () => {
    serveReleases(origin, RELEASES);
    await listKubernetesVersions(opts({ env: { GH_TOKEN: 'tok' } }));
    expect(origin.hits('/api/repos/kubernetes/kubernetes/releases')[0]!.headers.authorization).toBe('Bearer tok');
  });

  it('falls back to the stable-1.XX.txt markers when GitHub rate-limits', async () => {
    origin.always('/api/repos/kubernetes/kubernetes/releases', { kind: 'status', status: 403, headers: { 'x-ratelimit-remaining': '0' } });
    origin.file('/release/stable.txt', 'v1.36.2');
    origin.file('/release/stable-1.36.txt', 'v1.36.2');
    origin.file('/release/stable-1.35.txt', 'v1.35.1');
    origin.file('/release/stable-1.34.txt', 'v1.34.0');
    expect(await listKubernetesVersions(opts())).toEqual(['v1.36.2', 'v1.36.1', 'v1.36.0', 'v1.35.1', 'v1.35.0', 'v1.34.0']);
    expect(await listKubernetesVersions(opts({ latest: true }))).toEqual(['v1.36.2', 'v1.35.1', 'v1.34.0']);
    const err = await rejection(listKubernetesVersions(opts({ source: 'github' })));
    expect(err.code).toBe('HTTP');
    expect(err.message).toContain('rate limit');
    expect(err.message).toContain('GITHUB_TOKEN');
  });
});

describe('CNI and crictl versions', () => {
  it('normalises explicit versions without a request', async () => {
    expect(await resolveCniVersion('1.9.1', common())).toBe('v1.9.1');
    expect(await resolveCrictlVersion('v1.36.0', common())).toBe('v1.36.0');
    expect(origin.log).toHaveLength(0);
    expect((await rejection(resolveCniVersion('latestt', common()))).code).toBe('INVALID_ARGUMENT');
  });

  it('asks GitHub for the latest release', async () => {
    origin.file('/api/repos/containernetworking/plugins/releases/latest', JSON.stringify({ tag_name: 'v1.9.1' }));
    origin.file('/api/repos/kubernetes-sigs/cri-tools/releases/latest', JSON.stringify({ tag_name: 'v1.36.0' }));
    expect(await resolveCniVersion(undefined, common())).toBe('v1.9.1');
    expect(await resolveCniVersion('latest', common())).toBe('v1.9.1');
    expect(await resolveCrictlVersion('latest', common())).toBe('v1.36.0');
  });

  it('rejects a latest release without a usable tag', async () => {
    origin.file('/api/repos/containernetworking/plugins/releases/latest', JSON.stringify({ message: 'Not Found' }));
    expect((await rejection(resolveCniVersion(undefined, common()))).code).toBe('HTTP');
  });
});

describe('architectures and ordering', () => {
  it('maps systemd names to Kubernetes names', () => {
    expect(toKubernetesArch('x86-64')).toBe('amd64');
    expect(toKubernetesArch('arm64')).toBe('arm64');
    expect(toKubernetesArch('amd64')).toBe('amd64');
    expect(toKubernetesArch('aarch64')).toBe('arm64');
    expect(toSystemdArch('amd64')).toBe('x86-64');
    for (const bad of ['riscv64', 'x86', '', 'toString', '__proto__']) {
      expect(() => toKubernetesArch(bad)).toThrow(KubernetesError);
    }
    try {
      toKubernetesArch('s390x');
    } catch (err) {
      expect((err as KubernetesError).code).toBe('ARCH_UNSUPPORTED');
    }
  });

  it('orders versions semantically', () => {
    const sorted = ['v1.10.0', 'v1.9.9', 'v1.10.0-rc.1', 'v1.10.0-alpha.2', 'v1.10.0-alpha.10', 'v1.2.3'].sort(compareVersions);
    expect(sorted).toEqual(['v1.2.3', 'v1.9.9', 'v1.10.0-alpha.2', 'v1.10.0-alpha.10', 'v1.10.0-rc.1', 'v1.10.0']);
  });
});
