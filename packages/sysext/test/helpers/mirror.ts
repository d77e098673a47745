/**
 * Test fixtures: a dl.k8s.io-style mirror and a CNI release built from tiny shell scripts, with
 * real checksum files, and a static HTTP server on 127.0.0.1 that serves it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, dirname } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface TarMember {
  name: string;
  type?: 'file' | 'dir' | 'symlink';
  mode: number;
  content?: string | Buffer;
  target?: string;
  mtime?: number;
  uid?: number;
  gid?: number;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** A minimal ustar archive writer (enough for the fixtures). */
export function tarArchive(members: readonly TarMember[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const type = m.type ?? 'file';
    const body = Buffer.from(type === 'file' ? (m.content ?? '') : '');
    const header = Buffer.alloc(512);
    header.write(m.name, 0, 100, 'utf8');
    header.write(octal(m.mode, 8), 100, 'ascii');
    header.write(octal(m.uid ?? 1000, 8), 108, 'ascii');
    header.write(octal(m.gid ?? 1000, 8), 116, 'ascii');
    header.write(octal(body.length, 12), 124, 'ascii');
    header.write(octal(m.mtime ?? 1_700_000_000, 12), 136, 'ascii');
    header.write('        ', 148, 'ascii');
    header.write(type === 'dir' ? '5' : type === 'symlink' ? '2' : '0', 156, 'ascii');
    if (m.target !== undefined) header.write(m.target, 157, 100, 'utf8');
    header.write('ustar\0', 257, 'ascii');
    header.write('00', 263, 'ascii');
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export const CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap'] as const;

export interface MirrorSpec {
  k8sVersions: readonly string[];
  cniVersion: string;
  arches?: readonly ('amd64' | 'arm64')[];
}

export interface Mirror {
  root: string;
  k8s: string;
  cni: string;
  /** Content of a Kubernetes binary. */
  binary(name: string, version: string, arch: string): string;
  /** The CNI tarball members (for the expected tree). */
  cniMembers(arch: string): TarMember[];
}

export function binaryContent(name: string, version: string, arch: string): string {
  return `#!/bin/sh\n# fixture ${name} ${version} linux/${arch}: not a real binary\necho "${name} ${version}"\n`;
}

export function cniMembers(cniVersion: string, arch: string): TarMember[] {
  return [
    { name: './', type: 'dir', mode: 0o755 },
    ...CNI_PLUGINS.map((p) => ({ name: `./${p}`, mode: 0o755, content: `#!/bin/sh\n# fixture CNI plugin ${p} ${cniVersion} ${arch}\n` })),
    { name: './LICENSE', mode: 0o644, content: 'fixture license\n' },
    { name: './README.md', mode: 0o644, content: '# fixture CNI plugins\n' },
  ];
}

/** Writes `<root>/k8s/release/<v>/bin/linux/<arch>/{kubectl,kubeadm,kubelet}{,.sha256}`, markers, and `<root>/cni/<v>/...tgz{,.sha256}`. */
export async function writeMirror(root: string, spec: MirrorSpec): Promise<Mirror> {
  const arches = spec.arches ?? ['amd64', 'arm64'];
  const k8s = join(root, 'k8s');
  const cni = join(root, 'cni');
  const put = async (path: string, data: Buffer | string): Promise<void> => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
  };
  const byMinor = new Map<string, string>();
  for (const v of spec.k8sVersions) {
    for (const arch of arches) {
      for (const name of ['kubectl', 'kubeadm', 'kubelet']) {
        const content = binaryContent(name, v, arch);
        const path = join(k8s, 'release', v, 'bin', 'linux', arch, name);
        await put(path, content);
        await put(`${path}.sha256`, sha256(content)); // bare hex, no newline, as dl.k8s.io
      }
    }
    const minor = /^v(\d+\.\d+)/.exec(v)![1]!;
    const prev = byMinor.get(minor);
    if (prev === undefined || Number(v.split('.')[2]) > Number(prev.split('.')[2])) byMinor.set(minor, v);
  }
  for (const [minor, v] of byMinor) await put(join(k8s, 'release', `stable-${minor}.txt`), v);
  const newest = [...byMinor.values()].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1])).at(-1)!;
  await put(join(k8s, 'release', 'stable.txt'), newest);
  for (const arch of arches) {
    const file = `cni-plugins-linux-${arch}-${spec.cniVersion}.tgz`;
    const tgz = gzipSync(tarArchive(cniMembers(spec.cniVersion, arch)), { level: 9 });
    await put(join(cni, spec.cniVersion, file), tgz);
    await put(join(cni, spec.cniVersion, `${file}.sha256`), `${sha256(tgz)}  ${file}\n`);
  }
  return { root, k8s, cni, binary: binaryContent, cniMembers: (arch) => cniMembers(spec.cniVersion, arch) };
}

/** Serves a directory over HTTP on 127.0.0.1 (GET/HEAD, 404 for anything missing). */
export async function serveDirectory(root: string): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname);
    const path = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!path.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    stat(path).then(
      (st) => {
        if (!st.isFile()) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-length': st.size, 'content-type': 'application/octet-stream' });
        if (req.method === 'HEAD') res.end();
        else createReadStream(path).pipe(res);
      },
      () => res.writeHead(404).end('not found'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
