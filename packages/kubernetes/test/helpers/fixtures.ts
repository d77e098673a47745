import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Origin } from './origin.js';

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Deterministic pseudo-random bytes ("binaries") of a given size. */
export function fakeBinary(label: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(label).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off, 0, Math.min(block.length, size - off));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export interface K8sRelease {
  version: string;
  arch: string;
  binaries: Record<'kubectl' | 'kubeadm' | 'kubelet', Buffer>;
}

/** Publish kubectl/kubeadm/kubelet with bare-hex `.sha256` files (no newline), like dl.k8s.io. */
export function publishKubernetes(origin: Origin, version: string, arch: string, size = 200_000, prefix = ''): K8sRelease {
  const binaries = {} as K8sRelease['binaries'];
  for (const name of ['kubectl', 'kubeadm', 'kubelet'] as const) {
    const body = fakeBinary(`${name}-${version}-${arch}`, size);
    binaries[name] = body;
    const path = `${prefix}/release/${version}/bin/linux/${arch}/${name}`;
    origin.file(path, body);
    origin.file(`${path}.sha256`, sha256(body));
  }
  return { version, arch, binaries };
}

/** Publish a CNI tarball with a `hash  filename` `.sha256`, like the GitHub release. */
export function publishCni(origin: Origin, version: string, arch: string, prefix = '/cni'): Buffer {
  const file = `cni-plugins-linux-${arch}-${version}.tgz`;
  const body = fakeBinary(file, 50_000);
  origin.file(`${prefix}/${version}/${file}`, body);
  origin.file(`${prefix}/${version}/${file}.sha256`, `${sha256(body)}  ${file}\n`);
  return body;
}

/** Publish a crictl tarball with a bare-hex `.sha256`. */
export function publishCrictl(origin: Origin, version: string, arch: string, prefix = '/crictl'): Buffer {
  const file = `crictl-${version}-linux-${arch}.tar.gz`;
  const body = fakeBinary(file, 30_000);
  origin.file(`${prefix}/${version}/${file}`, body);
  origin.file(`${prefix}/${version}/${file}.sha256`, sha256(body));
  return body;
}

export async function tempDir(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'k8s-test-'));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export const FAST_RETRY = { retries: 3, minDelayMs: 1, maxDelayMs: 10, maxRetryAfterMs: 5_000 };

export { randomBytes };
