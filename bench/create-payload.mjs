// The `create` case: `bakery create kubernetes` end to end from a local mirror of real-size
// artifacts (cache warm: the downloads themselves are not timed), against `mksquashfs -all-root`
// of the same sysext tree, which is what the Flatcar bakery runs once its downloads are done.
//
// The mirror is built once under bench/.payload/create-<key>/ from the large payload: its three
// largest binaries outside the CNI directory stand in for kubelet, kubeadm and kubectl, its CNI
// plugins (or, without any, its four smallest files) are packed with `tar czf` into the CNI
// release tarball; the checksum files are written as dl.k8s.io and the CNI releases publish them.
// A first `bakery create` fills the artifact cache, and its image unpacked with unsquashfs is the
// tree mksquashfs packs (and the ceiling and I/O floor measure).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { summarize } from './payload.mjs';

export const CREATE_K8S = 'v1.99.0';
export const CREATE_CNI = 'v9.9.0';
const LAYOUT_VERSION = 1;

const sha256 = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/**
 * Builds (or finds) the create case from the large payload `large` ({ dir, list }); `cli` is the
 * `bakery` command, `unsquashfs` its path. Returns a payload ({ dir: the tree, mirror, cache,
 * files, bytes, ... }).
 */
export function buildCreate(cacheDir, large, { cli, unsquashfs, log }) {
  const key = createHash('sha256').update(JSON.stringify({ v: LAYOUT_VERSION, large: path.basename(large.dir) })).digest('hex').slice(0, 12);
  const base = path.join(cacheDir, `create-${key}`);
  const manifestFile = `${base}.json`;
  if (fs.existsSync(manifestFile)) return JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  log(`create: building ${base} from ${large.dir}`);
  fs.rmSync(base, { recursive: true, force: true });
  const root = path.join(large.dir, 'usr/lib/extension-root');
  const files = large.list.map((f) => ({ ...f, abs: path.join(root, f.path) })).sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
  const cni = files.filter((f) => f.path.startsWith('opt/cni/bin/'));
  const bins = files.filter((f) => !f.path.startsWith('opt/cni/bin/'));
  const kube = (bins.length >= 3 ? bins : files).slice(0, 3);
  if (kube.length < 3) throw new Error(`the large payload has ${files.length} files; the create case needs 3`);

  const mirror = path.join(base, 'mirror');
  const release = path.join(mirror, 'k8s/release');
  const binDir = path.join(release, CREATE_K8S, 'bin/linux/amd64');
  fs.mkdirSync(binDir, { recursive: true });
  fs.writeFileSync(path.join(release, 'stable.txt'), CREATE_K8S);
  fs.writeFileSync(path.join(release, `stable-${CREATE_K8S.split('.').slice(0, 2).join('.')}.txt`), CREATE_K8S);
  ['kubelet', 'kubeadm', 'kubectl'].forEach((name, i) => {
    const out = path.join(binDir, name);
    fs.copyFileSync(kube[i].abs, out);
    fs.writeFileSync(`${out}.sha256`, sha256(out)); // the bare digest, as dl.k8s.io
  });
  const staging = path.join(base, 'cni-staging');
  fs.mkdirSync(staging, { recursive: true });
  for (const f of cni.length > 0 ? cni : files.slice(-4)) fs.copyFileSync(f.abs, path.join(staging, path.basename(f.path)));
  const cniDir = path.join(mirror, 'cni', CREATE_CNI);
  fs.mkdirSync(cniDir, { recursive: true });
  const tgzName = `cni-plugins-linux-amd64-${CREATE_CNI}.tgz`;
  const tgz = path.join(cniDir, tgzName);
  execFileSync('tar', ['-czf', tgz, '-C', staging, '.']);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.writeFileSync(`${tgz}.sha256`, `${sha256(tgz)}  ${tgzName}\n`); // sha256sum format, as the CNI releases

  // Fill the cache, and unpack the image: the tree mksquashfs packs.
  const cache = path.join(base, 'cache');
  const out = path.join(base, 'first');
  execFileSync(process.execPath, [cli, ...createArgs({ mirror, cache }, out)], { stdio: 'ignore' });
  const tree = path.join(base, 'tree');
  execFileSync(unsquashfs, ['-q', '-d', tree, path.join(out, imageName())], { stdio: 'ignore' });
  fs.rmSync(out, { recursive: true, force: true });
  const manifest = { dir: tree, mirror, cache, ...summarize(tree, { kind: 'create', artifacts: kube.map((f) => f.path), cniPlugins: cni.length }) };
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 1));
  return manifest;
}

/** The image `bakery create` writes into its output directory. */
export function imageName() {
  return `kubernetes-${CREATE_K8S}-x86-64.raw`;
}

/** Arguments of `bakery create` for this case, writing into `outDir`. */
export function createArgs(payload, outDir) {
  return [
    'create', 'kubernetes', CREATE_K8S, 'x86-64', '--cni-version', CREATE_CNI,
    '--k8s-base-url', path.join(payload.mirror, 'k8s'), '--cni-base-url', path.join(payload.mirror, 'cni'),
    '--cache-dir', payload.cache, '--output-dir', outDir,
  ];
}
