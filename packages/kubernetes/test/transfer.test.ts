import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchKubernetesArtifacts, resolveCniVersion, type FetchOptions } from '@sysext-bakery/kubernetes';
import { Origin } from './helpers/origin.js';
import { ForwardProxy } from './helpers/proxy.js';
import { FAST_RETRY, publishCni, publishKubernetes, sha256, type K8sRelease } from './helpers/fixtures.js';
import { fetchOptions, rejection, withOriginAndTempDir, type TempDir } from './helpers/harness.js';

const KUBELET = '/release/v1.35.0/bin/linux/amd64/kubelet';

let origin: Origin;
let dir: TempDir;
let rel: K8sRelease;

withOriginAndTempDir((o, d) => {
  origin = o;
  dir = d;
  rel = publishKubernetes(origin, 'v1.35.0', 'amd64');
  publishCni(origin, 'v1.9.1', 'amd64');
});

function options(extra: Partial<FetchOptions> = {}): FetchOptions {
  return fetchOptions(origin, dir, {
    timeouts: { headersMs: 2_000, bodyMs: 2_000 },
    ...extra,
  });
}

async function kubeletBytes(r: Awaited<ReturnType<typeof fetchKubernetesArtifacts>>): Promise<Buffer> {
  return readFile(r.binaries.find((b) => b.name === 'kubelet')!.path);
}

describe('robust transfer', () => {
  it('resumes with Range + If-Range after a connection cut mid-body', async () => {
    origin.fault(KUBELET, { kind: 'cut', after: 120_000 });
    const r = await fetchKubernetesArtifacts(options());
    expect(Buffer.compare(await kubeletBytes(r), rel.binaries.kubelet)).toBe(0);
    const hits = origin.hits(KUBELET);
    expect(hits).toHaveLength(2);
    expect(hits[0]!.headers.range).toBeUndefined();
    const m = /^bytes=(\d+)-$/.exec(hits[1]!.headers.range ?? '');
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![1])).toBeLessThanOrEqual(120_000);
    expect(hits[1]!.headers['if-range']).toBe(origin.files.get(KUBELET)!.etag);
  });

  it('resumes a download left behind by an earlier process', async () => {
    // First run: cut mid-body, then the server fails hard; the partial file stays in the cache.
    origin.fault(KUBELET, { kind: 'cut', after: 100_000 });
    origin.always(KUBELET, { kind: 'status', status: 500 });
    const err = await rejection(fetchKubernetesArtifacts(options({ retry: { ...FAST_RETRY, retries: 0 } })));
    expect(err.code).toBe('HTTP');
    expect(err.url).toContain(KUBELET);
    origin.persistentFaults.delete(KUBELET);
    const r = await fetchKubernetesArtifacts(options());
    expect(Buffer.compare(await kubeletBytes(r), rel.binaries.kubelet)).toBe(0);
    const last = origin.hits(KUBELET).at(-1)!;
    expect(last.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it('starts over when the file changed on the server since the cut (If-Range → 200)', async () => {
    origin.fault(KUBELET, { kind: 'cut', after: 100_000 });
    origin.always(KUBELET, { kind: 'status', status: 500 });
    await rejection(fetchKubernetesArtifacts(options({ retry: { ...FAST_RETRY, retries: 0 } })));
    origin.persistentFaults.delete(KUBELET);
    const updated = Buffer.alloc(150_000, 7);
    origin.file(KUBELET, updated);
    origin.file(`${KUBELET}.sha256`, sha256(updated));
    const r = await fetchKubernetesArtifacts(options());
    expect(Buffer.compare(await kubeletBytes(r), updated)).toBe(0);
    expect(origin.hits(KUBELET).at(-1)!.headers['if-range']).toBeDefined();
  });

  it('handles a server that ignores Range (200 on resume)', async () => {
    origin.fault(KUBELET, { kind: 'cut', after: 90_000 }, { kind: 'ignore-range' });
    const r = await fetchKubernetesArtifacts(options());
    expect(Buffer.compare(await kubeletBytes(r), rel.binaries.kubelet)).toBe(0);
  });

  it('does not loop forever on a server that ignores Range and always cuts at the same point', async () => {
    origin.always(KUBELET, { kind: 'cut', after: 50_000 });
    const err = await rejection(fetchKubernetesArtifacts(options()));
    expect(err.code).toBe('NETWORK');
    expect(err.message).toContain('gave up after 4 attempts');
    // 1 attempt that made progress + 4 that did not (retries: 3)
    expect(origin.hits(KUBELET)).toHaveLength(5);
  });

  it('handles 416 when the partial file is already complete', async () => {
    const part = join(dir.path, 'cache', 'artifacts', 'partial', 'kubelet_v1.35.0_amd64.part');
    await mkdir(join(dir.path, 'cache', 'artifacts', 'partial'), { recursive: true });
    await writeFile(part, rel.binaries.kubelet);
    await writeFile(`${part}.json`, JSON.stringify({ url: `${origin.url}${KUBELET}`, validator: origin.files.get(KUBELET)!.etag }));
    const r = await fetchKubernetesArtifacts(options());
    expect(Buffer.compare(await kubeletBytes(r), rel.binaries.kubelet)).toBe(0);
    expect(origin.hits(KUBELET)).toHaveLength(1);
    expect(origin.hits(KUBELET)[0]!.headers.range).toBe(`bytes=${rel.binaries.kubelet.length}-`);
  });

  it('retries 500/503 with back-off', async () => {
    origin.fault(KUBELET, { kind: 'status', status: 500 }, { kind: 'status', status: 503 });
    const r = await fetchKubernetesArtifacts(options());
    expect(Buffer.compare(await kubeletBytes(r), rel.binaries.kubelet)).toBe(0);
    expect(origin.hits(KUBELET)).toHaveLength(3);
  });

  it('gives up after the configured retries with a typed HTTP error', async () => {
    origin.always(KUBELET, { kind: 'status', status: 502 });
    const err = await rejection(fetchKubernetesArtifacts(options()));
    expect(err.code).toBe('HTTP');
    expect(err.status).toBe(502);
    expect(err.message).toContain('gave up after 4 attempts');
    expect(origin.hits(KUBELET)).toHaveLength(4);
  });

  it('honours Retry-After on 429', async () => {
    origin.fault(`${KUBELET}.sha256`, { kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const t0 = Date.now();
    const r = await fetchKubernetesArtifacts(options({ retry: { ...FAST_RETRY, minDelayMs: 1 } }));
    expect(r.binaries.find((b) => b.name === 'kubelet')!.verification).toBe('checksum-file');
    expect(origin.hits(`${KUBELET}.sha256`)).toHaveLength(2);
    // Back-off alone is ≤10 ms here: the second request waited for the server's Retry-After.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('fails at once when Retry-After asks for longer than allowed', async () => {
    origin.fault(KUBELET, { kind: 'status', status: 503, headers: { 'retry-after': '3600' } });
    const err = await rejection(fetchKubernetesArtifacts(options()));
    expect(err.code).toBe('HTTP');
    expect(err.message).toContain('retry after 3600 s');
    expect(origin.hits(KUBELET)).toHaveLength(1);
  });

  it('does not retry a 403', async () => {
    origin.always(KUBELET, { kind: 'status', status: 403 });
    const err = await rejection(fetchKubernetesArtifacts(options()));
    expect(err.code).toBe('HTTP');
    expect(err.status).toBe(403);
    expect(origin.hits(KUBELET)).toHaveLength(1);
  });

  it('retries after a body timeout and resumes', async () => {
    origin.fault(KUBELET, { kind: 'stall-body', after: 64_000 });
    const r = await fetchKubernetesArtifacts(options({ timeouts: { bodyMs: 300, headersMs: 2_000 } }));
    expect(Buffer.compare(await kubeletBytes(r), rel.binaries.kubelet)).toBe(0);
    expect(origin.hits(KUBELET)[1]!.headers.range).toMatch(/^bytes=\d+-$/);
  });

  it('retries after a headers timeout', async () => {
    origin.fault(KUBELET, { kind: 'stall-headers' });
    const r = await fetchKubernetesArtifacts(options({ timeouts: { headersMs: 300, bodyMs: 2_000 } }));
    expect(Buffer.compare(await kubeletBytes(r), rel.binaries.kubelet)).toBe(0);
  });

  it('a server that always stalls ends in a NETWORK error naming the timeout', async () => {
    origin.always(KUBELET, { kind: 'stall-headers' });
    const err = await rejection(fetchKubernetesArtifacts(options({ timeouts: { headersMs: 150 }, retry: { ...FAST_RETRY, retries: 1 } })));
    expect(err.code).toBe('NETWORK');
    expect(err.message).toMatch(/UND_ERR_HEADERS_TIMEOUT/);
    expect(err.message).toContain(KUBELET);
  });

  it('follows a redirect chain, also to another origin', async () => {
    const mirror = await Origin.start();
    try {
      mirror.file('/blobs/kubelet', rel.binaries.kubelet);
      origin.always(KUBELET, { kind: 'redirect', to: '/hop1', status: 301 });
      origin.always('/hop1', { kind: 'redirect', to: '/hop2', status: 307 });
      origin.always('/hop2', { kind: 'redirect', to: `${mirror.url}/blobs/kubelet`, status: 302 });
      const r = await fetchKubernetesArtifacts(options());
      expect(Buffer.compare(await kubeletBytes(r), rel.binaries.kubelet)).toBe(0);
      expect(mirror.hits('/blobs/kubelet')).toHaveLength(1);
    } finally {
      await mirror.close();
    }
  });

  it('detects a redirect loop', async () => {
    origin.always(KUBELET, { kind: 'redirect', to: '/a' });
    origin.always('/a', { kind: 'redirect', to: '/b' });
    origin.always('/b', { kind: 'redirect', to: '/a' });
    const err = await rejection(fetchKubernetesArtifacts(options()));
    expect(err.code).toBe('REDIRECT_LOOP');
    expect(err.message).toContain('/a');
    expect(origin.hits('/b')).toHaveLength(1); // not retried
  });

  it('stops after too many redirects', async () => {
    origin.always(KUBELET, { kind: 'redirect', to: '/r0' });
    for (let i = 0; i < 20; i++) origin.always(`/r${i}`, { kind: 'redirect', to: `/r${i + 1}` });
    const err = await rejection(fetchKubernetesArtifacts(options({ maxRedirections: 5 })));
    expect(err.code).toBe('REDIRECT_LOOP');
    expect(err.message).toContain('more than 5 redirects');
  });

  it('goes through HTTP_PROXY (absolute-form requests) and honours NO_PROXY', async () => {
    const proxy = await ForwardProxy.start();
    try {
      const r = await fetchKubernetesArtifacts(options({ env: { HTTP_PROXY: proxy.url } }));
      expect(Buffer.compare(await kubeletBytes(r), rel.binaries.kubelet)).toBe(0);
      // undici tunnels (CONNECT) by default, also for http:// targets; absolute-form would do too.
      const host = origin.url.replace('http://', '');
      expect(proxy.seen.some((s) => s === `CONNECT ${host}` || s === `GET ${origin.url}${KUBELET}`)).toBe(true);
      expect(origin.hits(KUBELET)).toHaveLength(1);

      const seenBeforeEnvCheck = proxy.seen.length;
      // An injected env is the whole truth: process.env's proxy variables are not consulted.
      const saved = process.env.HTTP_PROXY;
      process.env.HTTP_PROXY = proxy.url;
      try {
        await fetchKubernetesArtifacts(options({ env: {}, cacheDir: join(dir.path, 'c3') }));
      } finally {
        if (saved === undefined) delete process.env.HTTP_PROXY;
        else process.env.HTTP_PROXY = saved;
      }
      const n = proxy.seen.length;
      await fetchKubernetesArtifacts(options({ env: { http_proxy: proxy.url, NO_PROXY: '127.0.0.1' }, cacheDir: join(dir.path, 'c2') }));
      expect(proxy.seen.length).toBe(n);
      expect(seenBeforeEnvCheck).toBe(proxy.seen.length);
    } finally {
      await proxy.close();
    }
  });

  it('sends the GitHub token to the API origin only, not across a redirect', async () => {
    const other = await Origin.start();
    try {
      other.file('/latest.json', JSON.stringify({ tag_name: 'v1.9.1' }));
      origin.always('/api/repos/containernetworking/plugins/releases/latest', { kind: 'redirect', to: `${other.url}/latest.json` });
      const v = await resolveCniVersion(undefined, { githubApiUrl: `${origin.url}/api`, env: { GITHUB_TOKEN: 'sekrit' }, retry: FAST_RETRY });
      expect(v).toBe('v1.9.1');
      expect(origin.hits('/api/repos/containernetworking/plugins/releases/latest')[0]!.headers.authorization).toBe('Bearer sekrit');
      expect(other.hits('/latest.json')[0]!.headers.authorization).toBeUndefined();
      await fetchKubernetesArtifacts(options({ env: { GH_TOKEN: 'sekrit' } }));
      expect(origin.hits(KUBELET)[0]!.headers.authorization).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
