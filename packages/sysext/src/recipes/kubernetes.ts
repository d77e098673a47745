import {
  fetchKubernetesArtifacts,
  openArtifact,
  recheckArtifact,
  listKubernetesVersions,
  readLockFile,
  resolveKubernetesVersion,
  toKubernetesArch,
  writeLockFile,
  type FetchedArtifact,
} from '@sysext-bakery/kubernetes';
import { Tree, contentFromFactory, type DirNode } from '@sysext-bakery/squashfs';
import { tarStream } from '../archive-stream.js';
import { addTar } from '../deps.js';
import { SysextError } from '../errors.js';
import type { Recipe, RecipeBuild, RecipeBuildOptions, RecipeOptionValues } from './recipe.js';
import { KUBEADM_DROPIN, KUBELET_SERVICE, UPHOLD_KUBELET, VOLUME_PLUGIN_LINK, VOLUME_PLUGIN_TARGET } from './kubernetes-units.js';

function str(values: RecipeOptionValues, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function common(values: RecipeOptionValues) {
  const k8sBaseUrl = str(values, 'k8s-base-url');
  const cniBaseUrl = str(values, 'cni-base-url');
  const cacheDir = str(values, 'cache-dir');
  return {
    ...(k8sBaseUrl === undefined ? {} : { k8sBaseUrl }),
    ...(cniBaseUrl === undefined ? {} : { cniBaseUrl }),
    ...(cacheDir === undefined ? {} : { cacheDir }),
    offline: values.offline === true,
  };
}

/** `v1.32.0` → `v1.32` (the bakery's patch-only update series). */
export function minorSeries(version: string): string {
  const m = /^(v\d+\.\d+)/.exec(version);
  if (m === null) throw new SysextError('INVALID_ARGUMENT', `cannot take the minor series of version ${JSON.stringify(version)}`);
  return m[1]!;
}

function describe(a: FetchedArtifact): string {
  const weak = a.verification === 'checksum-file' ? ' only: not in the pinned table; keep its digest with --write-lock and check later builds with --lock' : '';
  return `${a.name} ${a.version} ${a.arch}: sha256 ${a.sha256.slice(0, 16)}…, verified by ${a.checks.join(' + ')}${weak}${a.fromCache ? ' (cached)' : ''}`;
}

/**
 * The Kubernetes sysext, the same tree as the Flatcar bakery's kubernetes.sysext:
 * kubectl/kubeadm/kubelet in usr/bin, the CNI plugins in usr/local/bin/cni, the version files,
 * the volume-plugin symlink, kubelet.service with the kubeadm drop-in, and Upholds=kubelet.service.
 */
export const kubernetesRecipe: Recipe = {
  name: 'kubernetes',
  description: 'kubelet, kubeadm, kubectl and the CNI plugins, with the kubeadm kubelet unit',
  architectures: ['x86-64', 'arm64'],
  options: {
    'cni-version': { type: 'string', description: 'CNI plugins version (default: the latest release)' },
    'k8s-base-url': { type: 'string', description: 'Kubernetes mirror: URL or directory in the dl.k8s.io layout (default https://dl.k8s.io)' },
    'cni-base-url': { type: 'string', description: 'CNI mirror: URL or directory in the GitHub release-download layout' },
    'cache-dir': { type: 'string', description: 'download cache (default: the user cache directory)' },
    offline: { type: 'boolean', description: 'use only the cache (and file:// or directory mirrors); never the network' },
    lock: { type: 'string', description: 'lock file of an earlier build: every artifact must match its digest' },
    'write-lock': { type: 'string', description: 'write the digests of this build to a lock file' },
    'verify-signatures': { type: 'boolean', description: 'verify the cosign signatures of the Kubernetes binaries' },
  },

  async listVersions({ latest, options }) {
    const base = common(options);
    // A mirror given explicitly is the source of truth: read its stable-1.XX.txt markers, not GitHub.
    return listKubernetesVersions({ ...base, latest: latest === true, ...(base.k8sBaseUrl === undefined ? {} : { source: 'markers' as const }) });
  },

  async build(options: RecipeBuildOptions): Promise<RecipeBuild> {
    const values = options.options;
    const kArch = toKubernetesArch(options.arch);
    const base = common(values);
    options.onProgress?.({ phase: 'resolve', label: `kubernetes ${options.version}` });
    // As in the bakery, "latest" is the newest stable release (never a pre-release).
    const spec = options.version.trim().toLowerCase() === 'latest' ? 'stable' : options.version;
    const version = await resolveKubernetesVersion(spec, { ...base, arch: kArch });
    const lockPath = str(values, 'lock');
    const writeLockPath = str(values, 'write-lock');
    const lock = lockPath === undefined ? undefined : await readLockFile(lockPath);
    const cniVersion = str(values, 'cni-version');
    const fetched = await fetchKubernetesArtifacts({
      ...base,
      version,
      arch: kArch,
      ...(cniVersion === undefined ? {} : { cniVersion }),
      ...(lock === undefined ? {} : { lock, frozenLock: writeLockPath === undefined }),
      verifySignatures: values['verify-signatures'] === true,
      // Every artifact is read through openArtifact below, which hashes what it streams.
      verifyCache: options.verifyCache ?? 'on-read',
      onProgress: (e) => options.onProgress?.({ phase: 'download', label: `${e.artifact} ${e.version}`, done: e.done, ...(e.total === undefined ? {} : { total: e.total }) }),
    });
    if (writeLockPath !== undefined) await writeLockFile(writeLockPath, fetched.lock);
    for (const a of [...fetched.binaries, fetched.cni]) options.log?.(describe(a));

    const tree = new Tree({ defaults: { mtime: options.epoch } });
    // The binaries are hashed again as they are packed, the tarball as it is unpacked: a cached
    // file that changed after its check fails the build instead of reaching the image. That hash
    // is also the binary's identity for deduplication (`sha256`): the writer need not hash it again.
    for (const binary of fetched.binaries) {
      const content = { ...contentFromFactory(() => openArtifact(binary), binary.size), sha256: binary.sha256 };
      tree.file(`usr/bin/${binary.name}`, content, { mode: 0o755 });
    }
    options.onProgress?.({ phase: 'unpack', label: fetched.cni.fileName });
    // The tarball is unpacked while the binaries are packed: usr/local/bin/cni comes after usr/bin
    // in the image, so it is a directory the writer loads when it gets there (DirNode.load),
    // waiting only if the unpacking is not done by then (it is, ~0.3 s against seconds of
    // binaries). A broken or changed tarball fails the build there, before an image exists.
    const cni = tree.dir('usr/local/bin/cni', { mode: 0o755, mtime: options.epoch });
    const unpacking = unpackCni(fetched.cni, options.epoch);
    unpacking.catch(() => {}); // reported when the writer (or loadTree) loads the directory
    cni.load = async () => {
      for (const [name, node] of (await unpacking).entries) cni.entries.set(name, node);
      delete cni.load;
    };
    tree.file('usr/local/share/kubernetes-version', `${fetched.version}\n`);
    tree.file('usr/local/share/kubernetes-cni-version', `${fetched.cni.version}\n`);
    tree.symlink(VOLUME_PLUGIN_LINK, VOLUME_PLUGIN_TARGET);
    tree.file('usr/lib/systemd/system/kubelet.service', KUBELET_SERVICE);
    tree.file('usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf', KUBEADM_DROPIN);
    tree.file('usr/lib/systemd/system/multi-user.target.d/10-kubelet-service.conf', UPHOLD_KUBELET);
    return { version: fetched.version, files: tree, reloadManager: true, minorSeries: minorSeries(fetched.version) };
  },
};

/** The CNI plugins of the release tarball, as a directory (its own metadata is the caller's). */
async function unpackCni(artifact: FetchedArtifact, epoch: number): Promise<DirNode> {
  const plugins = new Tree({ defaults: { mtime: epoch } });
  try {
    await addTar(plugins, await tarStream(openArtifact(artifact)), {});
  } catch (error) {
    // A changed tarball may break gunzip or the tar reader before openArtifact's check at its
    // end: fail with the mismatch when that is the cause.
    await recheckArtifact(artifact);
    throw error;
  }
  return plugins.root;
}
