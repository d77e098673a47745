// The verified CNI tarball goes from this package's cache straight into a squashfs Tree through
// the squashfs package's tar reader (no extraction to disk), as the sysext package does it.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addTar, SquashfsError, Tree } from '@sysext-bakery/squashfs';
import { fetchKubernetesArtifacts, KubernetesError, openArtifact, type FetchOptions } from '@sysext-bakery/kubernetes';
import { Origin } from './helpers/origin.js';
import { FAST_RETRY, publishKubernetes, sha256 } from './helpers/fixtures.js';
import { withOriginAndTempDir, type TempDir } from './helpers/harness.js';

let hasTar = true;
try {
  execFileSync('tar', ['--version'], { stdio: 'ignore' });
} catch {
  hasTar = false;
  console.warn('SKIPPING cni-tar tests: no `tar` command to build the fixture tarballs');
}

let origin: Origin;
let dir: TempDir;
withOriginAndTempDir((o, d) => {
  origin = o;
  dir = d;
  publishKubernetes(origin, 'v1.35.0', 'amd64', 1000);
});

/** Build a .tgz of `files` with GNU/bsd tar (paths relative, like the real CNI release: ./bridge ...). */
async function makeTgz(name: string, build: (root: string) => Promise<void>, members = ['.']): Promise<Buffer> {
  const root = join(dir.path, `src-${name}`);
  await mkdir(root, { recursive: true });
  await build(root);
  const out = join(dir.path, `${name}.tgz`);
  execFileSync('tar', ['-czf', out, '-C', root, ...members]);
  return readFile(out);
}

function publish(body: Buffer): void {
  const file = 'cni-plugins-linux-amd64-v1.9.1.tgz';
  origin.file(`/cni/v1.9.1/${file}`, body);
  origin.file(`/cni/v1.9.1/${file}.sha256`, `${sha256(body)}  ${file}\n`);
}

const options = (): FetchOptions => ({
  version: 'v1.35.0',
  arch: 'x86-64',
  cniVersion: 'v1.9.1',
  k8sBaseUrl: origin.url,
  cniBaseUrl: `${origin.url}/cni`,
  cacheDir: join(dir.path, 'cache'),
  env: {},
  retry: FAST_RETRY,
  pinned: {},
});

describe.skipIf(!hasTar)('CNI tarball into a squashfs tree', () => {
  it('streams the verified tarball into usr/local/bin/cni with modes kept', async () => {
    publish(
      await makeTgz('good', async (root) => {
        for (const p of ['bridge', 'loopback', 'host-local']) {
          await writeFile(join(root, p), `#!plugin ${p}\n`);
          await chmod(join(root, p), 0o755);
        }
        await writeFile(join(root, 'LICENSE'), 'Apache-2.0\n');
        await chmod(join(root, 'LICENSE'), 0o644);
      }),
    );
    const r = await fetchKubernetesArtifacts(options());
    const tree = new Tree();
    const summary = await addTar(tree, openArtifact(r.cni), { prefix: 'usr/local/bin/cni', strict: true });
    expect(summary.entries).toBeGreaterThanOrEqual(4);
    const bridge = tree.get('usr/local/bin/cni/bridge');
    expect(bridge?.kind).toBe('file');
    expect((bridge!.meta.mode & 0o777).toString(8)).toBe('755');
    expect((tree.get('usr/local/bin/cni/LICENSE')!.meta.mode & 0o777).toString(8)).toBe('644');
  });

  it('a symlink leaving the tree is refused (strict)', async () => {
    publish(
      await makeTgz('evil-link', async (root) => {
        await writeFile(join(root, 'bridge'), 'x');
        await symlink('../../../../etc/shadow', join(root, 'portmap'));
      }),
    );
    const r = await fetchKubernetesArtifacts(options());
    const err = await addTar(new Tree(), openArtifact(r.cni), { prefix: 'usr/local/bin/cni', strict: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SquashfsError);
    expect(String((err as Error).message)).toMatch(/portmap/);
  });

  it('a truncated tarball never reaches the tar reader: the checksum fails first', async () => {
    const good = await makeTgz('trunc', async (root) => {
      await writeFile(join(root, 'bridge'), Buffer.alloc(20_000, 1));
    });
    publish(good);
    // serve a truncated copy under the same checksum file
    origin.file('/cni/v1.9.1/cni-plugins-linux-amd64-v1.9.1.tgz', good.subarray(0, good.length - 100));
    const err = await fetchKubernetesArtifacts(options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubernetesError);
    expect((err as KubernetesError).code).toBe('CHECKSUM_MISMATCH');
  });

  it('openArtifact notices a cached file changed after verification', async () => {
    publish(await makeTgz('tamper', async (root) => writeFile(join(root, 'bridge'), 'x')));
    const r = await fetchKubernetesArtifacts(options());
    await chmod(r.cni.path, 0o644);
    await writeFile(r.cni.path, Buffer.alloc(r.cni.size, 0));
    const chunks: Uint8Array[] = [];
    const err = await (async () => {
      for await (const c of openArtifact(r.cni)) chunks.push(c);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubernetesError);
    expect((err as KubernetesError).code).toBe('CHECKSUM_MISMATCH');
  });
});
