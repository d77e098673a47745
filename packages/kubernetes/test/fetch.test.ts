import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fetchKubernetesArtifacts,
  openArtifact,
  readLockFile,
  writeLockFile,
  type FetchOptions,
  type ProgressEvent,
} from '@sysext-bakery/kubernetes';
import { Origin } from './helpers/origin.js';
import { publishCni, publishCrictl, publishKubernetes, sha256 } from './helpers/fixtures.js';
import { fetchOptions, rejection, withOriginAndTempDir, type TempDir } from './helpers/harness.js';

let origin: Origin;
let dir: TempDir;
withOriginAndTempDir((o, d) => {
  origin = o;
  dir = d;
});

function options(extra: Partial<FetchOptions> = {}): FetchOptions {
  return fetchOptions(origin, dir, {
    crictlBaseUrl: `${origin.url}/crictl`,
    ...extra,
  });
}

describe('fetchKubernetesArtifacts', () => {
  it('downloads, verifies against the .sha256 files and stores by digest', async () => {
    const rel = publishKubernetes(origin, 'v1.35.0', 'amd64');
    const cni = publishCni(origin, 'v1.9.1', 'amd64');
    const r = await fetchKubernetesArtifacts(options());
    expect(r.version).toBe('v1.35.0');
    expect(r.arch).toBe('amd64');
    expect(r.binaries.map((b) => b.name)).toEqual(['kubectl', 'kubeadm', 'kubelet']);
    for (const b of r.binaries) {
      const want = rel.binaries[b.name as 'kubectl'];
      expect(b.sha256).toBe(sha256(want));
      expect(b.size).toBe(want.length);
      expect(b.verification).toBe('checksum-file');
      expect(b.fromCache).toBe(false);
      expect(b.path.endsWith(join('sha256', sha256(want)))).toBe(true);
      expect(Buffer.compare(await readFile(b.path), want)).toBe(0);
    }
    expect(r.cni.fileName).toBe('cni-plugins-linux-amd64-v1.9.1.tgz');
    expect(r.cni.sha256).toBe(sha256(cni));
    expect(r.cni.verification).toBe('checksum-file');
    expect(r.crictl).toBeUndefined();
    expect(Object.keys(r.lock.artifacts)).toEqual([
      'cni-plugins/v1.9.1/amd64',
      'kubeadm/v1.35.0/amd64',
      'kubectl/v1.35.0/amd64',
      'kubelet/v1.35.0/amd64',
    ]);
    expect(r.lock.artifacts['kubelet/v1.35.0/amd64']?.sha256).toBe(`sha256:${sha256(rel.binaries.kubelet)}`);
    // nothing left in partial/
    expect(await readdir(join(dir.path, 'cache', 'artifacts', 'partial'))).toEqual([]);
  });

  it('never downloads a verified artifact twice', async () => {
    publishKubernetes(origin, 'v1.35.0', 'amd64');
    publishCni(origin, 'v1.9.1', 'amd64');
    await fetchKubernetesArtifacts(options());
    const before = origin.log.length;
    const r = await fetchKubernetesArtifacts(options());
    expect(origin.log.length).toBe(before);
    expect(r.binaries.every((b) => b.fromCache && b.verification === 'checksum-file')).toBe(true);
    expect(r.cni.fromCache).toBe(true);
  });

  it('re-downloads when a cached blob is corrupt', async () => {
    const rel = publishKubernetes(origin, 'v1.35.0', 'amd64');
    publishCni(origin, 'v1.9.1', 'amd64');
    const first = await fetchKubernetesArtifacts(options());
    const kubelet = first.binaries.find((b) => b.name === 'kubelet');
    await writeFile(kubelet!.path, 'bit rot');
    const second = await fetchKubernetesArtifacts(options());
    const k2 = second.binaries.find((b) => b.name === 'kubelet')!;
    expect(k2.fromCache).toBe(false);
    expect(Buffer.compare(await readFile(k2.path), rel.binaries.kubelet)).toBe(0);
    expect(second.binaries.find((b) => b.name === 'kubectl')!.fromCache).toBe(true);
  });

  it("verifyCache 'on-read': a cached blob is taken by its size, openArtifact hashes it and names the changed file; another size is fetched again", async () => {
    const rel = publishKubernetes(origin, 'v1.35.0', 'amd64');
    publishCni(origin, 'v1.9.1', 'amd64');
    const first = await fetchKubernetesArtifacts(options());
    const kubelet = first.binaries.find((b) => b.name === 'kubelet')!;
    const bytes = await readFile(kubelet.path);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length >> 1]! ^= 1;
    await writeFile(kubelet.path, flipped); // same size, other bytes
    const before = origin.log.length;
    const lazy = await fetchKubernetesArtifacts(options({ verifyCache: 'on-read' }));
    expect(origin.log.length).toBe(before); // taken from the cache, not hashed, not downloaded
    const k = lazy.binaries.find((b) => b.name === 'kubelet')!;
    expect(k.fromCache).toBe(true);
    const read = async (): Promise<number> => {
      let n = 0;
      for await (const chunk of openArtifact(k)) n += chunk.length;
      return n;
    };
    await expect(read()).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH', cachedPath: k.path, artifact: 'kubelet' });
    // Checked now (the default), the same blob is found corrupt and fetched again.
    const checked = await fetchKubernetesArtifacts(options());
    const k2 = checked.binaries.find((b) => b.name === 'kubelet')!;
    expect(k2.fromCache).toBe(false);
    expect(Buffer.compare(await readFile(k2.path), rel.binaries.kubelet)).toBe(0);
    // 'on-read' still refuses a blob whose size is not the recorded one.
    await writeFile(k2.path, 'bit rot');
    const sized = await fetchKubernetesArtifacts(options({ verifyCache: 'on-read' }));
    expect(sized.binaries.find((b) => b.name === 'kubelet')!.fromCache).toBe(false);
    expect(Buffer.compare(await readFile(k2.path), rel.binaries.kubelet)).toBe(0);
  });

  it('accepts version specs and maps systemd architectures (arm64)', async () => {
    publishKubernetes(origin, 'v1.35.2', 'arm64');
    publishCni(origin, 'v1.9.1', 'arm64');
    origin.file('/release/stable-1.35.txt', 'v1.35.2');
    const r = await fetchKubernetesArtifacts(options({ version: '1.35', arch: 'arm64' }));
    expect(r.version).toBe('v1.35.2');
    expect(r.arch).toBe('arm64');
    expect(origin.hits('/release/v1.35.2/bin/linux/arm64/kubelet').length).toBeGreaterThanOrEqual(1);
    expect(origin.hits('/release/v1.35.0/bin/linux/amd64/kubelet')).toHaveLength(0);
  });

  it('takes the latest CNI release from the GitHub API when no version is given', async () => {
    publishKubernetes(origin, 'v1.35.0', 'amd64');
    publishCni(origin, 'v1.9.2', 'amd64');
    origin.file('/api/repos/containernetworking/plugins/releases/latest', JSON.stringify({ tag_name: 'v1.9.2' }));
    const r = await fetchKubernetesArtifacts(options({ cniVersion: undefined }));
    expect(r.cni.version).toBe('v1.9.2');
  });

  it('fetches crictl only when asked', async () => {
    publishKubernetes(origin, 'v1.35.0', 'amd64');
    publishCni(origin, 'v1.9.1', 'amd64');
    const body = publishCrictl(origin, 'v1.35.0', 'amd64');
    const r = await fetchKubernetesArtifacts(options({ crictlVersion: '1.35.0' }));
    expect(r.crictl?.fileName).toBe('crictl-v1.35.0-linux-amd64.tar.gz');
    expect(r.crictl?.sha256).toBe(sha256(body));
    expect(r.crictl?.verification).toBe('checksum-file');
  });

  it('uses the pinned table when it covers an artifact (no checksum file needed)', async () => {
    const rel = publishKubernetes(origin, 'v1.35.0', 'amd64');
    const cni = publishCni(origin, 'v1.9.1', 'amd64');
    const pinned = {
      kubelet: { amd64: { 'v1.35.0': sha256(rel.binaries.kubelet) } },
      'cni-plugins': { amd64: { 'v1.9.1': sha256(cni) } },
    };
    const r = await fetchKubernetesArtifacts(options({ pinned }));
    const byName = Object.fromEntries(r.binaries.map((b) => [b.name, b]));
    expect(byName.kubelet?.verification).toBe('pinned');
    expect(byName.kubectl?.verification).toBe('checksum-file');
    expect(r.cni.verification).toBe('pinned');
    expect(origin.hits('/release/v1.35.0/bin/linux/amd64/kubelet.sha256')).toHaveLength(0);
    expect(origin.hits('/release/v1.35.0/bin/linux/amd64/kubectl.sha256')).toHaveLength(1);
  });

  it('the shipped table catches an origin that serves a forged binary with a matching .sha256', async () => {
    // v1.36.4 kubelet amd64 is in the shipped table; this "origin" is compromised.
    publishKubernetes(origin, 'v1.36.4', 'amd64');
    publishCni(origin, 'v1.9.1', 'amd64');
    const { pinned: _ignored, ...rest } = options({ version: 'v1.36.4' });
    const err = await rejection(fetchKubernetesArtifacts(rest));
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    // kubectl is first in order and pinned too; whichever failed, the message names it fully.
    expect(err.message).toMatch(/checksum mismatch for kube(ctl|adm|let) \(kube\w+ v1\.36\.4 amd64\)/);
    expect(err.message).toContain('the pinned table');
    expect(err.expected).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(err.actual).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(err.url).toContain('/release/v1.36.4/bin/linux/amd64/');
  });

  it('a checksum-file mismatch names file, digests and URL, and deletes the download', async () => {
    const rel = publishKubernetes(origin, 'v1.35.0', 'amd64');
    publishCni(origin, 'v1.9.1', 'amd64');
    const wrong = 'a'.repeat(64);
    origin.file('/release/v1.35.0/bin/linux/amd64/kubeadm.sha256', wrong);
    const err = await rejection(fetchKubernetesArtifacts(options()));
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(err.artifact).toBe('kubeadm');
    expect(err.expected).toBe(`sha256:${wrong}`);
    expect(err.actual).toBe(`sha256:${sha256(rel.binaries.kubeadm)}`);
    expect(err.url).toBe(`${origin.url}/release/v1.35.0/bin/linux/amd64/kubeadm`);
    expect(err.message).toContain(`sha256:${wrong}`);
    expect(err.message).toContain(sha256(rel.binaries.kubeadm));
    expect(err.message).toContain('/release/v1.35.0/bin/linux/amd64/kubeadm');
    const cacheRoot = join(dir.path, 'cache', 'artifacts');
    expect(await readdir(join(cacheRoot, 'partial'))).toEqual([]);
    expect(existsSync(join(cacheRoot, 'blobs', 'sha256', sha256(rel.binaries.kubeadm)))).toBe(false);
  });

  it('rejects a CNI checksum file that names another file', async () => {
    publishKubernetes(origin, 'v1.35.0', 'amd64');
    const cni = publishCni(origin, 'v1.9.1', 'amd64');
    origin.file('/cni/v1.9.1/cni-plugins-linux-amd64-v1.9.1.tgz.sha256', `${sha256(cni)}  cni-plugins-linux-arm64-v1.9.1.tgz\n`);
    const err = await rejection(fetchKubernetesArtifacts(options()));
    expect(err.code).toBe('CHECKSUM_INVALID');
    expect(err.message).toContain('cni-plugins-linux-amd64-v1.9.1.tgz');
  });

  it('writes a lock file from one build and enforces it on the next', async () => {
    publishKubernetes(origin, 'v1.35.0', 'amd64');
    publishCni(origin, 'v1.9.1', 'amd64');
    const first = await fetchKubernetesArtifacts(options());
    const lockPath = join(dir.path, 'bakery.lock.json');
    await writeLockFile(lockPath, first.lock);
    const lock = await readLockFile(lockPath);
    expect(lock).toEqual(first.lock);

    // Same cache: verified as "lock" now.
    const again = await fetchKubernetesArtifacts(options({ lock }));
    expect(again.binaries.every((b) => b.verification === 'lock')).toBe(true);
    expect(again.binaries[0]?.checks).toEqual(['lock', 'checksum-file']);

    // Fresh cache, origin now serves a different kubelet with a matching .sha256: the lock catches it.
    const evil = Buffer.from('evil kubelet');
    origin.file('/release/v1.35.0/bin/linux/amd64/kubelet', evil);
    origin.file('/release/v1.35.0/bin/linux/amd64/kubelet.sha256', sha256(evil));
    const err = await rejection(fetchKubernetesArtifacts(options({ lock, cacheDir: join(dir.path, 'cache2') })));
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(err.artifact).toBe('kubelet');
    expect(err.message).toContain('the lock file');
  });

  it('frozenLock refuses artifacts the lock does not cover', async () => {
    publishKubernetes(origin, 'v1.35.0', 'amd64');
    publishCni(origin, 'v1.9.1', 'amd64');
    const first = await fetchKubernetesArtifacts(options());
    delete first.lock.artifacts['cni-plugins/v1.9.1/amd64'];
    const err = await rejection(fetchKubernetesArtifacts(options({ lock: first.lock, frozenLock: true })));
    expect(err.code).toBe('LOCK_MISSING');
    expect(err.missing?.map((m) => m.artifact)).toEqual(['cni-plugins']);
  });

  it('a lock that disagrees with the pinned table is refused', async () => {
    const rel = publishKubernetes(origin, 'v1.35.0', 'amd64');
    publishCni(origin, 'v1.9.1', 'amd64');
    const pinned = { kubelet: { amd64: { 'v1.35.0': sha256(rel.binaries.kubelet) } } };
    const lock = { lockfileVersion: 1 as const, artifacts: { 'kubelet/v1.35.0/amd64': { sha256: `sha256:${'b'.repeat(64)}`, size: 1, url: '' } } };
    const err = await rejection(fetchKubernetesArtifacts(options({ pinned, lock })));
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(err.message).toContain('lock file');
    expect(err.message).toContain('pinned table');
  });

  it('a 404 names the version and architecture and suggests bakery list', async () => {
    publishCni(origin, 'v1.9.1', 'amd64');
    const err = await rejection(fetchKubernetesArtifacts(options({ version: 'v1.35.99' })));
    expect(err.code).toBe('VERSION_NOT_FOUND');
    expect(err.version).toBe('v1.35.99');
    expect(err.arch).toBe('amd64');
    expect(err.message).toContain('v1.35.99');
    expect(err.message).toContain('linux/amd64');
    expect(err.message).toContain('bakery list kubernetes');
  });

  it('a missing CNI version is VERSION_NOT_FOUND for cni-plugins', async () => {
    publishKubernetes(origin, 'v1.35.0', 'amd64');
    const err = await rejection(fetchKubernetesArtifacts(options({ cniVersion: 'v0.0.1' })));
    expect(err.code).toBe('VERSION_NOT_FOUND');
    expect(err.artifact).toBe('cni-plugins');
    expect(err.message).toContain('v0.0.1');
  });

  it('offline uses only the cache and lists exactly what is missing', async () => {
    publishKubernetes(origin, 'v1.35.0', 'amd64');
    publishCni(origin, 'v1.9.1', 'amd64');
    await fetchKubernetesArtifacts(options());
    const before = origin.log.length;
    const ok = await fetchKubernetesArtifacts(options({ offline: true }));
    expect(ok.binaries.every((b) => b.fromCache)).toBe(true);
    const err = await rejection(fetchKubernetesArtifacts(options({ offline: true, arch: 'arm64', crictlVersion: 'v1.35.0' })));
    expect(origin.log.length).toBe(before);
    expect(err.code).toBe('OFFLINE_MISSING');
    expect(err.missing?.map((m) => `${m.artifact} ${m.version} ${m.arch}`)).toEqual([
      'kubectl v1.35.0 arm64',
      'kubeadm v1.35.0 arm64',
      'kubelet v1.35.0 arm64',
      'cni-plugins v1.9.1 arm64',
      'crictl v1.35.0 arm64',
    ]);
    expect(err.message).toContain('kubelet v1.35.0 arm64');
  });

  it('offline resolves "1.35" and "latest CNI" from the cache', async () => {
    publishKubernetes(origin, 'v1.35.0', 'amd64');
    publishCni(origin, 'v1.9.1', 'amd64');
    await fetchKubernetesArtifacts(options());
    const r = await fetchKubernetesArtifacts(options({ offline: true, version: '1.35', cniVersion: undefined }));
    expect(r.version).toBe('v1.35.0');
    expect(r.cni.version).toBe('v1.9.1');
  });

  it('reports progress per artifact up to the full size', async () => {
    const rel = publishKubernetes(origin, 'v1.35.0', 'amd64');
    publishCni(origin, 'v1.9.1', 'amd64');
    const events: ProgressEvent[] = [];
    await fetchKubernetesArtifacts(options({ onProgress: (e) => events.push(e) }));
    const kubelet = events.filter((e) => e.artifact === 'kubelet');
    expect(kubelet.length).toBeGreaterThan(1);
    expect(kubelet.at(-1)).toMatchObject({ done: rel.binaries.kubelet.length, total: rel.binaries.kubelet.length, cached: false });
    for (let i = 1; i < kubelet.length; i++) expect(kubelet[i]!.done).toBeGreaterThanOrEqual(kubelet[i - 1]!.done);
    const cached: ProgressEvent[] = [];
    await fetchKubernetesArtifacts(options({ onProgress: (e) => cached.push(e) }));
    expect(cached.filter((e) => e.cached)).toHaveLength(4);
  });

  it('keeps at most `concurrency` downloads in flight', async () => {
    publishKubernetes(origin, 'v1.35.0', 'amd64', 300_000);
    publishCni(origin, 'v1.9.1', 'amd64');
    let inFlight = 0;
    let peak = 0;
    for (const name of ['kubectl', 'kubeadm', 'kubelet']) {
      const path = `/release/v1.35.0/bin/linux/amd64/${name}`;
      const file = origin.files.get(path)!;
      origin.route(path, (_req, res) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        res.writeHead(200, { 'content-length': String(file.body.length) });
        setTimeout(() => {
          res.end(file.body, () => inFlight--);
        }, 30);
      });
      origin.files.delete(path); // route handles it
    }
    await fetchKubernetesArtifacts(options({ concurrency: 2 }));
    expect(peak).toBeGreaterThanOrEqual(1);
    expect(peak).toBeLessThanOrEqual(2);
    const r = await fetchKubernetesArtifacts(options({ concurrency: 1, cacheDir: join(dir.path, 'c2') }));
    expect(r.binaries).toHaveLength(3);
    expect(peak).toBeLessThanOrEqual(2);
  });

  it('checks the signature trust root before any request', async () => {
    const err = await rejection(fetchKubernetesArtifacts(options({ verifySignatures: true, trustedRoot: { tlogs: [] } })));
    expect(err.code).toBe('SIGNATURE');
    expect(err.message).toMatch(/invalid Sigstore trusted root: no transparency logs/);
    expect(origin.log).toHaveLength(0);
  });

  it('rejects unsupported architectures and bad versions before any request', async () => {
    expect((await rejection(fetchKubernetesArtifacts(options({ arch: 'riscv64' })))).code).toBe('ARCH_UNSUPPORTED');
    expect((await rejection(fetchKubernetesArtifacts(options({ version: 'v1.x' })))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(fetchKubernetesArtifacts(options({ concurrency: 0 })))).code).toBe('INVALID_ARGUMENT');
    expect(origin.log).toHaveLength(0);
  });
});
