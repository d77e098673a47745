/**
 * End to end: `bakery create kubernetes` against a dl.k8s.io-style mirror and a CNI release
 * served on 127.0.0.1, checked with mksquashfs/sqfsdiff/unsquashfs (oracles we did not write)
 * and with our reader.
 */
import { chmod, cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile, lstat, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImageFile } from '@sysext-bakery/squashfs/node';
import { kernelMountUnavailable } from '@sysext-bakery/squashfs/testing';
import { KUBEADM_DROPIN, KUBELET_SERVICE } from '../src/recipes/kubernetes-units.js';
import { ensureBuilt, hasTool, runBakery, tool } from './helpers/cli.js';
import { binaryContent, cniMembers, serveDirectory, sha256, writeMirror } from './helpers/mirror.js';

const K8S = 'v1.98.1'; // not in the pinned-checksum table: fixture digests are not refused
const CNI = 'v9.9.0';
const IMAGE = `kubernetes-${K8S}-x86-64.raw`;
const haveTools = hasTool('mksquashfs') && hasTool('unsquashfs') && hasTool('sqfsdiff');
if (!haveTools) console.warn('kubernetes-e2e: mksquashfs/unsquashfs/sqfsdiff missing: the oracle comparisons are SKIPPED');

let work: string;
let server: Awaited<ReturnType<typeof serveDirectory>>;
let out: string;
let first: Awaited<ReturnType<typeof runBakery>>;
const mountProblem = await kernelMountUnavailable();
if (mountProblem !== undefined) console.warn(`kubernetes-e2e: kernel mount check SKIPPED: ${mountProblem}`);
/** Why systemd-sysext cannot merge here (it needs root, loop devices, unshare, an x86-64 host). */
const sysextProblem =
  mountProblem ??
  (!hasTool('systemd-sysext') || !hasTool('unshare')
    ? 'systemd-sysext or unshare not installed (apt-get install systemd util-linux)'
    : process.arch !== 'x64'
      ? `the image is x86-64 and systemd-sysext checks ARCHITECTURE against this ${process.arch} host`
      : undefined);
if (sysextProblem !== undefined) console.warn(`kubernetes-e2e: systemd-sysext merge check SKIPPED: ${sysextProblem}`);

function baseArgs(outDir: string, cache: string, extra: string[] = []): string[] {
  return [
    'create', 'kubernetes', K8S, 'x86-64',
    '--cni-version', CNI,
    '--k8s-base-url', `${server.url}/k8s`,
    '--cni-base-url', `${server.url}/cni`,
    '--cache-dir', cache,
    '--output-dir', outDir,
    ...extra,
  ];
}

/** The tree the bakery produces, on disk, for mksquashfs. */
async function expectedTree(dir: string): Promise<void> {
  const file = async (path: string, content: string, mode: number): Promise<void> => {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
    await chmod(join(dir, path), mode);
  };
  for (const name of ['kubectl', 'kubeadm', 'kubelet']) await file(`usr/bin/${name}`, binaryContent(name, K8S, 'amd64'), 0o755);
  for (const m of cniMembers(CNI, 'amd64')) if (m.type !== 'dir') await file(`usr/local/bin/cni/${m.name.slice(2)}`, m.content ?? '', m.mode);
  await file('usr/local/share/kubernetes-version', `${K8S}\n`, 0o644);
  await file('usr/local/share/kubernetes-cni-version', `${CNI}\n`, 0o644);
  await mkdir(join(dir, 'usr/libexec/kubernetes/kubelet-plugins/volume'), { recursive: true });
  await symlink('/var/kubernetes/kubelet-plugins/volume/exec', join(dir, 'usr/libexec/kubernetes/kubelet-plugins/volume/exec'));
  await file('usr/lib/systemd/system/kubelet.service', KUBELET_SERVICE, 0o644);
  await file('usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf', KUBEADM_DROPIN, 0o644);
  await file('usr/lib/systemd/system/multi-user.target.d/10-kubelet-service.conf', '[Unit]\nUpholds=kubelet.service\n', 0o644);
  await file('usr/lib/extension-release.d/extension-release.kubernetes', 'ID=_any\nARCHITECTURE=x86-64\nEXTENSION_RELOAD_MANAGER=1\n', 0o644);
  const fixDirs = async (d: string): Promise<void> => {
    await chmod(d, 0o755);
    for (const e of await readdir(d, { withFileTypes: true })) if (e.isDirectory()) await fixDirs(join(d, e.name));
  };
  await fixDirs(dir);
}

beforeAll(async () => {
  ensureBuilt();
  work = await mkdtemp(join(tmpdir(), 'bakery-k8s-e2e-'));
  await writeMirror(join(work, 'mirror'), { k8sVersions: ['v1.98.0', K8S, 'v1.97.3'], cniVersion: CNI });
  server = await serveDirectory(join(work, 'mirror'));
  out = join(work, 'out');
  await expectedTree(join(work, 'expected'));
  first = await runBakery(baseArgs(out, join(work, 'cache'), ['--sysupdate', 'true', '--butane', '--release-url', 'https://ext.example.com/kubernetes/', '--write-lock', join(work, 'bakery.lock')]));
});

afterAll(async () => {
  await server?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('bakery create kubernetes', () => {
  it('succeeds and prints a summary', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const image = join(out, IMAGE);
    expect(first.stdout).toContain(`image    ${image}`);
    expect(first.stdout).toMatch(/sha256 {3}[0-9a-f]{64}/);
    // How each artifact was verified is in the summary even without a terminal.
    for (const name of ['kubectl', 'kubeadm', 'kubelet', 'cni-plugins']) {
      expect(first.stdout).toMatch(new RegExp(`^input {4}${name} \\S+ \\S+: sha256 [0-9a-f]{16}…, verified by [a-z+ -]+`, 'm'));
    }
  });

  it.skipIf(!haveTools)('equals mksquashfs -all-root -noappend of the bakery tree (SOURCE_DATE_EPOCH=0) under sqfsdiff with timestamps', async () => {
    const exp = join(work, 'expected');
    const ref = join(work, 'ref.img');
    const mk = await tool('mksquashfs', [exp, ref, '-all-root', '-noappend', '-quiet'], { SOURCE_DATE_EPOCH: '0' });
    expect(mk.code).toBe(0);
    const diff = await tool('sqfsdiff', ['--timestamps', '--old', ref, '--new', join(out, IMAGE)]);
    expect(diff.stdout).toBe('');
    expect(diff.code).toBe(0);
    // unsquashfs -lln of both: same types, modes, owners, sizes, times, link targets
    const ours = await tool('unsquashfs', ['-lln', join(out, IMAGE)]);
    const theirs = await tool('unsquashfs', ['-lln', ref]);
    expect(ours.code).toBe(0);
    const listing = (s: string) => s.split('\n').filter((l) => /^[-dlbcps][rwxsStT-]{9} /.test(l));
    expect(listing(ours.stdout)).toEqual(listing(theirs.stdout));
    expect(listing(ours.stdout)).toHaveLength(33) // 17 directories (root included), 15 files, 1 symlink;
    for (const line of listing(ours.stdout)) {
      expect(line).toMatch(/^\S+ 0\/0 +\d+ 1970-01-01 00:00 squashfs-root/);
      if (line.startsWith('d')) expect(line.startsWith('drwxr-xr-x')).toBe(true);
    }
    expect(listing(ours.stdout)).toContain(
      'lrwxrwxrwx 0/0                      43 1970-01-01 00:00 squashfs-root/usr/libexec/kubernetes/kubelet-plugins/volume/exec -> /var/kubernetes/kubelet-plugins/volume/exec',
    );
  });

  it.skipIf(!haveTools)('extracts with unsquashfs to the expected contents', async () => {
    const dest = join(work, 'extracted');
    const r = await tool('unsquashfs', ['-no-xattrs', '-d', dest, join(out, IMAGE)]);
    expect(r.code).toBe(0);
    expect(await readFile(join(dest, 'usr/bin/kubelet'), 'utf8')).toBe(binaryContent('kubelet', K8S, 'amd64'));
    expect((await lstat(join(dest, 'usr/bin/kubeadm'))).mode & 0o7777).toBe(0o755);
    expect((await readdir(join(dest, 'usr/local/bin/cni'))).sort()).toEqual(['LICENSE', 'README.md', 'bridge', 'host-local', 'loopback', 'portmap']);
    expect(await readFile(join(dest, 'usr/local/bin/cni/portmap'), 'utf8')).toBe(cniMembers(CNI, 'amd64').find((m) => m.name === './portmap')!.content);
    expect(await readFile(join(dest, 'usr/local/share/kubernetes-version'), 'utf8')).toBe('v1.98.1\n');
    expect(await readFile(join(dest, 'usr/local/share/kubernetes-cni-version'), 'utf8')).toBe('v9.9.0\n');
    expect(await readlink(join(dest, 'usr/libexec/kubernetes/kubelet-plugins/volume/exec'))).toBe('/var/kubernetes/kubelet-plugins/volume/exec');
    expect(await readFile(join(dest, 'usr/lib/systemd/system/multi-user.target.d/10-kubelet-service.conf'), 'utf8')).toBe('[Unit]\nUpholds=kubelet.service\n');
    const dropin = await readFile(join(dest, 'usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf'), 'utf8');
    expect(dropin).toContain('ExecStartPre=/usr/bin/cp -r /usr/local/bin/cni/. /opt/cni/bin/\n');
    expect(dropin).toContain('ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS\n');
    expect(await readFile(join(dest, 'usr/lib/extension-release.d/extension-release.kubernetes'), 'utf8')).toBe('ID=_any\nARCHITECTURE=x86-64\nEXTENSION_RELOAD_MANAGER=1\n');
  });

  it.skipIf(mountProblem !== undefined)('mounts with the kernel and matches the expected tree', async () => {
    const mnt = join(work, 'mnt');
    await mkdir(mnt);
    const m = await tool('mount', ['-o', 'loop,ro', '-t', 'squashfs', join(out, IMAGE), mnt]);
    expect(m.stderr).toBe('');
    try {
      const exp = join(work, 'expected');
      const walk = async (rel: string): Promise<string[]> => {
        const a = await lstat(join(exp, rel));
        const b = await lstat(join(mnt, rel));
        const kind = (st: typeof a) => (st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other');
        expect([rel, kind(b), b.mode & 0o7777, b.uid, b.gid, b.mtimeMs]).toEqual([rel, kind(a), a.mode & 0o7777, 0, 0, 0]);
        if (a.isFile()) expect([rel, await readFile(join(mnt, rel), 'utf8')]).toEqual([rel, await readFile(join(exp, rel), 'utf8')]);
        if (a.isSymbolicLink()) expect(await readlink(join(mnt, rel))).toBe(await readlink(join(exp, rel)));
        if (!a.isDirectory()) return [rel];
        const names = (await readdir(join(exp, rel))).sort();
        expect([rel, (await readdir(join(mnt, rel))).sort()]).toEqual([rel, names]);
        const out: string[] = [rel];
        for (const n of names) out.push(...(await walk(rel === '' ? n : `${rel}/${n}`)));
        return out;
      };
      expect(await walk('')).toHaveLength(33);
    } finally {
      await tool('umount', [mnt]);
    }
  });

  /**
   * systemd-sysext (the consumer of the image) merges it over the /usr of a scratch root given with
   * --root, in a private mount namespace (unshare -m): the root is bind-mounted onto itself and made
   * shared there, so that the overlay systemd-sysext mounts from its own namespace shows up in ours,
   * and nothing reaches the host's mounts.
   */
  async function sysextMerge(imageName: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const root = await mkdtemp(join(work, 'sysext-root-'));
    await mkdir(join(root, 'usr/lib'), { recursive: true });
    await mkdir(join(root, 'var/lib/extensions'), { recursive: true });
    await writeFile(join(root, 'usr/lib/os-release'), 'ID=flatcar\nVERSION_ID=4152.2.0\n');
    await writeFile(join(root, 'var/lib/extensions', imageName), await readFile(join(out, IMAGE)));
    const script = [
      'set -e',
      'mount --make-rprivate /',
      'mount -t tmpfs tmpfs /run',
      'mount --bind "$ROOT" "$ROOT"',
      'mount --make-rshared "$ROOT"',
      'systemd-sysext merge --root="$ROOT"',
      'cd "$ROOT" && find usr -path usr/lib/os-release -prune -o -print | LC_ALL=C sort',
      'echo "kubelet: $(cat usr/bin/kubelet)"',
      'systemd-sysext unmerge --root="$ROOT"',
      'test ! -e usr/bin && echo unmerged',
    ].join('\n');
    try {
      return await tool('unshare', ['-m', 'sh', '-c', script], { ROOT: root });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }

  it.skipIf(sysextProblem !== undefined)('is merged by systemd-sysext over /usr (and refused under a name its extension-release does not carry)', async () => {
    const merged = await sysextMerge('kubernetes.raw');
    expect(merged.stderr).toContain("Using extensions 'kubernetes'.");
    expect(merged.code).toBe(0);
    const listed = merged.stdout.split('\n');
    for (const path of [
      'usr/bin/kubelet',
      'usr/bin/kubeadm',
      'usr/local/bin/cni/bridge',
      'usr/lib/systemd/system/kubelet.service',
      'usr/lib/systemd/system/multi-user.target.d/10-kubelet-service.conf',
      'usr/lib/extension-release.d/extension-release.kubernetes',
      'usr/libexec/kubernetes/kubelet-plugins/volume/exec',
    ]) {
      expect(listed).toContain(path);
    }
    expect(merged.stdout).toContain(`kubelet: ${binaryContent('kubelet', K8S, 'amd64')}`);
    expect(listed).toContain('unmerged');

    // The oracle can fail: under another name systemd looks for extension-release.other, absent.
    const refused = await sysextMerge('other.raw');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/other/);
  });

  it('reads back with our reader: root-owned, dirs 0755, times 0', async () => {
    const image = await openImageFile(join(out, IMAGE));
    try {
      let count = 0;
      for await (const st of image.walk()) {
        count++;
        expect([st.path, st.uid, st.gid, st.mtime]).toEqual([st.path, 0, 0, 0]);
        if (st.kind === 'dir') expect([st.path, st.mode]).toEqual([st.path, 0o755]);
      }
      expect(count).toBe(33); // root + 16 directories + 15 files + 1 symlink
      expect(new TextDecoder().decode(await image.readFile('usr/bin/kubectl'))).toBe(binaryContent('kubectl', K8S, 'amd64'));
      expect(image.superblock.mkfsTime).toBe(0);
    } finally {
      await image.close();
    }
  });

  it('writes SHA256SUMS, the sysupdate confs and .transfer twins as the bakery does', async () => {
    const digest = sha256(await readFile(join(out, IMAGE)));
    expect(await readFile(join(out, 'SHA256SUMS'), 'utf8')).toBe(`${digest}  ${IMAGE}\n`);
    const conf = (pattern: string) =>
      `[Transfer]\nVerify=false\n\n[Source]\nType=url-file\nPath=https://ext.example.com/kubernetes/\nMatchPattern=${pattern}\n\n[Target]\nInstancesMax=3\nType=regular-file\nPath=/opt/extensions/kubernetes\nCurrentSymlink=/etc/extensions/kubernetes.raw\n`;
    expect(await readFile(join(out, 'kubernetes.conf'), 'utf8')).toBe(conf('kubernetes-@v-%a.raw'));
    expect(await readFile(join(out, 'kubernetes-v1.98.conf'), 'utf8')).toBe(conf('kubernetes-v1.98.@v-%a.raw'));
    expect(await readFile(join(out, 'kubernetes.transfer'), 'utf8')).toBe(conf('kubernetes-@v-%a.raw'));
    expect(await readFile(join(out, 'kubernetes-v1.98.transfer'), 'utf8')).toBe(conf('kubernetes-v1.98.@v-%a.raw'));
    const bu = await readFile(join(out, `kubernetes-${K8S}-x86-64.bu`), 'utf8');
    expect(bu).toContain(`    - path: /opt/extensions/kubernetes/${IMAGE}\n`);
    expect(bu).toContain(`        source: "https://ext.example.com/kubernetes/${IMAGE}"\n`);
    expect(bu).toContain(`          hash: sha256-${digest}\n`);
    expect(bu).toContain(`    - target: /opt/extensions/kubernetes/${IMAGE}\n      path: /etc/extensions/kubernetes.raw\n      hard: false\n`);
    expect(bu).toContain('    - path: /etc/sysupdate.kubernetes.d/kubernetes-v1.98.conf\n');
    expect(bu).toContain('          MatchPattern=kubernetes-v1.98.@v-%a.raw\n');
    expect(bu).toContain('ExecStartPre=/usr/lib/systemd/systemd-sysupdate -C kubernetes update');
  });

  it('is reproducible to the byte (fresh cache, v1.98 resolved through the mirror marker)', async () => {
    const out2 = join(work, 'out2');
    const r = await runBakery([...baseArgs(out2, join(work, 'cache2')).map((a) => (a === K8S ? 'v1.98' : a))]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(Buffer.compare(await readFile(join(out2, IMAGE)), await readFile(join(out, IMAGE)))).toBe(0);
  });

  it('"latest" is the newest stable release of the mirror, and amd64 means x86-64', async () => {
    const out5 = join(work, 'out5');
    await writeFile(join(work, 'mirror/k8s/release/latest.txt'), 'v1.99.0-rc.1'); // a pre-release must not be picked
    const r = await runBakery([...baseArgs(out5, join(work, 'cache')).map((a) => (a === K8S ? 'latest' : a === 'x86-64' ? 'amd64' : a))]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await readdir(out5)).toContain(IMAGE);
  });

  it('a cached download that changed on disk after its check never reaches an image: noticed while packing, fetched again, the same image', async () => {
    const cache = join(work, 'cache-changed');
    await cp(join(work, 'cache'), cache, { recursive: true });
    const digest = sha256(binaryContent('kubelet', K8S, 'amd64'));
    const blob = join(cache, 'artifacts/blobs/sha256', digest);
    const bytes = await readFile(blob);
    bytes[bytes.length >> 1]! ^= 1; // same size: only hashing what is packed can tell
    await writeFile(blob, bytes);
    const out6 = join(work, 'out6');
    const r = await runBakery(baseArgs(out6, cache));
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/the cached kubelet \(.*\) no longer matches its digest: checking every cached download and building again/);
    expect(Buffer.compare(await readFile(join(out6, IMAGE)), await readFile(join(out, IMAGE)))).toBe(0);
    expect(sha256(await readFile(blob))).toBe(digest); // fetched again

    // The CNI tarball: a changed byte breaks gunzip before the stream's own check; same outcome.
    const cniCache = join(work, 'cache-changed-cni');
    await cp(join(work, 'cache'), cniCache, { recursive: true });
    const cniDigest = sha256(await readFile(join(work, 'mirror/cni', CNI, `cni-plugins-linux-amd64-${CNI}.tgz`)));
    const cniBlob = join(cniCache, 'artifacts/blobs/sha256', cniDigest);
    const tgz = await readFile(cniBlob);
    tgz[tgz.length >> 1]! ^= 0xff;
    await writeFile(cniBlob, tgz);
    const out7 = join(work, 'out7');
    const r2 = await runBakery(baseArgs(out7, cniCache));
    expect(r2.code, r2.stderr).toBe(0);
    expect(`${r2.stdout}${r2.stderr}`).toMatch(/the cached cni-plugins-linux-amd64-v9\.9\.0\.tgz \(.*\) no longer matches its digest/);
    expect(Buffer.compare(await readFile(join(out7, IMAGE)), await readFile(join(out, IMAGE)))).toBe(0);
    expect(sha256(await readFile(cniBlob))).toBe(cniDigest);
  });

  it('builds offline from the cache when the mirror is unreachable', async () => {
    const out3 = join(work, 'out3');
    const r = await runBakery([...baseArgs(out3, join(work, 'cache')).map((a) => a.replace(server.url, 'http://127.0.0.1:9')), '--offline']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(Buffer.compare(await readFile(join(out3, IMAGE)), await readFile(join(out, IMAGE)))).toBe(0);
  });

  it('updates SHA256SUMS in place: one line per image, sorted, replaced by name', async () => {
    const r1 = await runBakery([...baseArgs(out, join(work, 'cache')).map((a) => (a === 'x86-64' ? 'arm64' : a))]);
    expect(r1.code).toBe(0);
    const armImage = `kubernetes-${K8S}-arm64.raw`;
    const armDigest = sha256(await readFile(join(out, armImage)));
    const r2 = await runBakery([...baseArgs(out, join(work, 'cache')), '--compression', 'zstd']);
    expect(r2.code).toBe(0);
    const x86Digest = sha256(await readFile(join(out, IMAGE)));
    expect(await readFile(join(out, 'SHA256SUMS'), 'utf8')).toBe(`${armDigest}  ${armImage}\n${x86Digest}  ${IMAGE}\n`);
    const image = await openImageFile(join(out, armImage));
    try {
      expect(new TextDecoder().decode(await image.readFile('usr/lib/extension-release.d/extension-release.kubernetes'))).toBe('ID=_any\nARCHITECTURE=arm64\nEXTENSION_RELOAD_MANAGER=1\n');
      expect(new TextDecoder().decode(await image.readFile('usr/bin/kubelet'))).toBe(binaryContent('kubelet', K8S, 'arm64'));
    } finally {
      await image.close();
    }
  });

  it('enforces --lock: a changed upstream binary (with a matching .sha256) is refused', async () => {
    const lock = join(work, 'bakery.lock');
    expect(JSON.parse(await readFile(lock, 'utf8'))).toHaveProperty('artifacts');
    const bin = join(work, 'mirror/k8s/release', K8S, 'bin/linux/amd64/kubelet');
    const evil = '#!/bin/sh\necho evil\n';
    await writeFile(bin, evil);
    await writeFile(`${bin}.sha256`, sha256(evil));
    const r = await runBakery([...baseArgs(join(work, 'out-lock'), join(work, 'cache-lock')), '--lock', lock]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bakery: .*kubelet/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack without --debug
    await expect(readdir(join(work, 'out-lock')).catch(() => [])).resolves.not.toContain(IMAGE);
  });

  it('--os flatcar writes SYSEXT_LEVEL=1.0', async () => {
    const out4 = join(work, 'out4');
    const r = await runBakery([...baseArgs(out4, join(work, 'cache')).map((a) => (a === K8S ? 'v1.97.3' : a)), '--os', 'flatcar', '--name', 'k8s']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const image = await openImageFile(join(out4, 'k8s-v1.97.3-x86-64.raw'));
    try {
      expect(new TextDecoder().decode(await image.readFile('usr/lib/extension-release.d/extension-release.k8s'))).toBe('ID=flatcar\nSYSEXT_LEVEL=1.0\nARCHITECTURE=x86-64\nEXTENSION_RELOAD_MANAGER=1\n');
    } finally {
      await image.close();
    }
  });
});
