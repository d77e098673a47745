#!/usr/bin/env node
// Regenerates ./mirror: a tiny offline copy of the dl.k8s.io and CNI release layouts, with fixture
// "binaries" (shell scripts that only print their name) and real checksum files. The version
// v1.99.0 is an EXAMPLE version that does not exist upstream, so nothing here can be mistaken for
// a real Kubernetes release (and the pinned-checksum table of real releases does not apply).
//
//   node examples/kubernetes-offline/make-mirror.mjs
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const K8S_VERSION = 'v1.99.0';
export const CNI_VERSION = 'v9.9.0';
const ARCHES = ['amd64', 'arm64'];
const PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap'];
const root = join(dirname(fileURLToPath(import.meta.url)), 'mirror');
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

async function put(path, data) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}

// A minimal ustar writer: enough for a flat archive like the CNI release tarball.
function tar(members) {
  const octal = (value, width) => `${value.toString(8).padStart(width - 1, '0')}\0`;
  const blocks = [];
  for (const m of members) {
    const body = Buffer.from(m.content ?? '');
    const h = Buffer.alloc(512);
    h.write(m.name, 0, 100);
    h.write(octal(m.mode, 8), 100);
    h.write(octal(0, 8), 108);
    h.write(octal(0, 8), 116);
    h.write(octal(body.length, 12), 124);
    h.write(octal(0, 12), 136);
    h.write('        ', 148);
    h.write(m.dir ? '5' : '0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

await rm(root, { recursive: true, force: true });
for (const arch of ARCHES) {
  for (const name of ['kubectl', 'kubeadm', 'kubelet']) {
    const script = `#!/bin/sh\n# EXAMPLE fixture, not the real ${name}: built for the bakery offline example\necho "${name} ${K8S_VERSION} (example fixture, linux/${arch})"\n`;
    const path = join(root, 'k8s', 'release', K8S_VERSION, 'bin', 'linux', arch, name);
    await put(path, script);
    await put(`${path}.sha256`, sha256(script)); // dl.k8s.io style: the bare hex digest
  }
  const file = `cni-plugins-linux-${arch}-${CNI_VERSION}.tgz`;
  const members = [
    { name: './', mode: 0o755, dir: true },
    ...PLUGINS.map((p) => ({ name: `./${p}`, mode: 0o755, content: `#!/bin/sh\n# EXAMPLE fixture, not the real CNI plugin ${p}\nexit 0\n` })),
    { name: './README.md', mode: 0o644, content: 'Example CNI plugins for the bakery offline example; not real binaries.\n' },
  ];
  const tgz = gzipSync(tar(members), { level: 9 });
  await put(join(root, 'cni', CNI_VERSION, file), tgz);
  await put(join(root, 'cni', CNI_VERSION, `${file}.sha256`), `${sha256(tgz)}  ${file}\n`); // sha256sum style
}
await put(join(root, 'k8s', 'release', 'stable.txt'), K8S_VERSION);
await put(join(root, 'k8s', 'release', `stable-${K8S_VERSION.slice(1).split('.').slice(0, 2).join('.')}.txt`), K8S_VERSION);
console.log(`wrote ${root}`);
