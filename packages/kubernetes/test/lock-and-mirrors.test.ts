import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultCacheDir,
  emptyLock,
  fetchKubernetesArtifacts,
  formatLockFile,
  KubernetesError,
  parseChecksumFile,
  parseLockFile,
  readLockFile,
  writeLockFile,
} from '@sysext-bakery/kubernetes';
import { fakeBinary, sha256, tempDir } from './helpers/fixtures.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

/** An air-gapped mirror on disk, in the upstream layout. */
async function writeMirror(root: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const name of ['kubectl', 'kubeadm', 'kubelet']) {
    const d = join(root, 'k8s', 'release', 'v1.35.1', 'bin', 'linux', 'arm64');
    await mkdir(d, { recursive: true });
    const body = fakeBinary(name, 40_000);
    out[name] = body;
    await writeFile(join(d, name), body);
    await writeFile(join(d, `${name}.sha256`), sha256(body));
  }
  await mkdir(join(root, 'k8s', 'release'), { recursive: true });
  await writeFile(join(root, 'k8s', 'release', 'stable-1.35.txt'), 'v1.35.1');
  const cniDir = join(root, 'cni', 'v1.9.1');
  await mkdir(cniDir, { recursive: true });
  const file = 'cni-plugins-linux-arm64-v1.9.1.tgz';
  const cni = fakeBinary(file, 10_000);
  out.cni = cni;
  await writeFile(join(cniDir, file), cni);
  await writeFile(join(cniDir, `${file}.sha256`), `${sha256(cni)}  ${file}\n`);
  return out;
}

describe('local mirrors (air-gapped)', () => {
  it('works from a plain directory path and from file:// URLs', async () => {
    const files = await writeMirror(join(dir.path, 'mirror'));
    const r = await fetchKubernetesArtifacts({
      version: '1.35',
      arch: 'arm64',
      cniVersion: 'v1.9.1',
      k8sBaseUrl: join(dir.path, 'mirror', 'k8s'),
      cniBaseUrl: pathToFileURL(join(dir.path, 'mirror', 'cni')).href,
      cacheDir: join(dir.path, 'cache'),
      env: {},
      pinned: {},
    });
    expect(r.version).toBe('v1.35.1');
    expect(Buffer.compare(await readFile(r.binaries[2]!.path), files.kubelet!)).toBe(0);
    expect(r.cni.sha256).toBe(sha256(files.cni!));
    expect(r.cni.verification).toBe('checksum-file');
  });

  it('takes the mirrors from BAKERY_K8S_BASE_URL / BAKERY_CNI_BASE_URL', async () => {
    await writeMirror(join(dir.path, 'm'));
    const r = await fetchKubernetesArtifacts({
      version: 'v1.35.1',
      arch: 'arm64',
      cniVersion: 'v1.9.1',
      cacheDir: join(dir.path, 'cache'),
      env: { BAKERY_K8S_BASE_URL: join(dir.path, 'm', 'k8s'), BAKERY_CNI_BASE_URL: join(dir.path, 'm', 'cni') },
      pinned: {},
    });
    expect(r.binaries.map((b) => b.verification)).toEqual(['checksum-file', 'checksum-file', 'checksum-file']);
  });

  it('a version missing from the mirror is VERSION_NOT_FOUND', async () => {
    await writeMirror(join(dir.path, 'm'));
    const err = await fetchKubernetesArtifacts({
      version: 'v1.35.2',
      arch: 'arm64',
      cniVersion: 'v1.9.1',
      k8sBaseUrl: join(dir.path, 'm', 'k8s'),
      cniBaseUrl: join(dir.path, 'm', 'cni'),
      cacheDir: join(dir.path, 'cache'),
      env: {},
      pinned: {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubernetesError);
    expect((err as KubernetesError).code).toBe('VERSION_NOT_FOUND');
  });
});

describe('lock files', () => {
  const good = {
    lockfileVersion: 1,
    artifacts: {
      'kubelet/v1.35.0/amd64': { sha256: `sha256:${'a'.repeat(64)}`, size: 3, url: 'https://dl.k8s.io/x' },
      'cni-plugins/v1.9.1/amd64': { sha256: 'B'.repeat(64), size: 4, url: 'u' },
    },
  };

  it('round-trips deterministically with sorted keys', async () => {
    const lock = parseLockFile(good);
    expect(lock.artifacts['cni-plugins/v1.9.1/amd64']!.sha256).toBe(`sha256:${'b'.repeat(64)}`);
    const text = formatLockFile(lock);
    expect(text.indexOf('cni-plugins')).toBeLessThan(text.indexOf('kubelet'));
    const p = join(dir.path, 'lock.json');
    await writeLockFile(p, lock);
    expect(await readFile(p, 'utf8')).toBe(text);
    expect(await readLockFile(p)).toEqual(lock);
    expect(formatLockFile(emptyLock())).toBe('{\n  "lockfileVersion": 1,\n  "artifacts": {}\n}\n');
  });

  it('rejects malformed lock files with a clear message', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /not a JSON object/],
      [{ lockfileVersion: 2, artifacts: {} }, /lockfileVersion/],
      [{ lockfileVersion: 1, artifacts: [] }, /artifacts/],
      [{ lockfileVersion: 1, artifacts: { kubelet: good.artifacts['kubelet/v1.35.0/amd64'] } }, /bad key/],
      [{ lockfileVersion: 1, artifacts: { 'kubelet/v1/amd64': { sha256: 'xyz', size: 1 } } }, /sha256/],
      [{ lockfileVersion: 1, artifacts: { 'kubelet/v1/amd64': { sha256: 'a'.repeat(64), size: -1 } } }, /size/],
    ];
    for (const [value, re] of cases) {
      expect(() => parseLockFile(value)).toThrow(re);
    }
    const p = join(dir.path, 'bad.json');
    await writeFile(p, '{nope');
    await expect(readLockFile(p)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(readLockFile(join(dir.path, 'missing.json'))).rejects.toMatchObject({ code: 'IO' });
  });
});

describe('checksum files and cache dir', () => {
  it('parses bare-hex and sha256sum formats', () => {
    const h = 'ab'.repeat(32);
    expect(parseChecksumFile(h, 'kubelet', 'u')).toBe(h);
    expect(parseChecksumFile(`${h.toUpperCase()}\n`, 'kubelet', 'u')).toBe(h);
    expect(parseChecksumFile(`${h}  cni.tgz\n`, 'cni.tgz', 'u')).toBe(h);
    expect(parseChecksumFile(`${h} *./cni.tgz\n`, 'cni.tgz', 'u')).toBe(h);
    expect(() => parseChecksumFile(`${h}  other.tgz\n`, 'cni.tgz', 'u')).toThrow(/no sha256 digest for cni.tgz/);
    expect(() => parseChecksumFile('<html>', 'kubelet', 'u')).toThrow(KubernetesError);
    expect(() => parseChecksumFile(`${h}\n${'cd'.repeat(32)}\n`, 'kubelet', 'u')).toThrow(/several/);
  });

  it('defaults to the XDG cache dir, ~/.cache, or %LOCALAPPDATA%', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' }, 'linux')).toBe('/x/cache/sysext-bakery');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' }, 'linux')).toMatch(/\.cache[/\\]sysext-bakery$/);
    expect(defaultCacheDir({}, 'darwin')).toMatch(/\.cache[/\\]sysext-bakery$/);
    expect(defaultCacheDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32')).toContain('sysext-bakery');
  });
});
