import { rm, stat } from 'node:fs/promises';
import { ArtifactCache, type CacheEntry } from '../cache/store.js';
import { toKubernetesArch, type KubernetesArch } from '../core/arch.js';
import { hashFile, parseChecksumFile, sha256Label } from '../core/checksum.js';
import { KubernetesError, type MissingArtifact } from '../core/errors.js';
import { lookupPinned, pinnedChecksums, type PinnedChecksumTable } from '../core/pinned.js';
import { cniFileName, crictlFileName, joinUrl, k8sBinaryUrl, redact, type Bases } from '../core/urls.js';
import { VERIFICATION_ORDER, type Verification } from '../core/verification.js';
import { SIGSTORE_PUBLIC_GOOD_TRUSTED_ROOT } from '../data/trusted-root.js';
import { checkSignature, type SignatureContext } from '../signature/check.js';
import { DEFAULT_REKOR_URL } from '../signature/rekor.js';
import { parseTrustedRoot, type TrustedRootJson } from '../signature/trust-root.js';
import type { HttpClient } from '../http/client.js';
import { downloadToFile } from '../http/download.js';
import { settleLimited } from '../util/limit.js';
import { emptyLock, type LockFile } from './lock.js';
import { withContext, type CommonOptions } from './options.js';
import { resolveCniVersion, resolveCrictlVersion } from './tools.js';
import { resolveKubernetesVersion } from './versions.js';

/** The artifacts this package fetches. */
export type ArtifactName = 'kubectl' | 'kubeadm' | 'kubelet' | 'cni-plugins' | 'crictl';

/** Progress of one artifact, for progress bars. `total` is `undefined` when the server does not say. */
export interface ProgressEvent {
  artifact: ArtifactName;
  version: string;
  arch: KubernetesArch;
  done: number;
  total: number | undefined;
  /** True when the bytes came from the cache (the event is sent once, complete). */
  cached: boolean;
}

/** Options of {@link fetchKubernetesArtifacts}. */
export interface FetchOptions extends CommonOptions {
  /** Kubernetes version spec (see {@link resolveKubernetesVersion}); exact `vX.Y.Z` needs no network. */
  version: string;
  /** `x86-64` / `arm64` (systemd names) or `amd64` / `arm64`. */
  arch: string;
  /** CNI plugins version; default: the latest release. */
  cniVersion?: string | undefined;
  /** crictl version (or `latest`); default: no crictl (Flatcar ships it; kubeadm no longer needs it). */
  crictlVersion?: string | undefined;
  /** Digests of an earlier build: every artifact it covers must match. */
  lock?: LockFile | undefined;
  /** Fail (`LOCK_MISSING`) when `lock` does not cover an artifact, instead of adding it. */
  frozenLock?: boolean | undefined;
  /**
   * Also verify the cosign keyless signatures of kubectl/kubeadm/kubelet (`<name>.sig` +
   * `<name>.cert` beside each binary, signer `krel-staging@k8s-releng-prod.iam.gserviceaccount.com`
   * via `https://accounts.google.com`), with the Rekor entry that proves the signing time. The
   * first check is online (one Rekor lookup per binary); the resulting Sigstore bundle is cached,
   * so later and `offline` runs re-verify without the network. A failure is `SIGNATURE`.
   */
  verifySignatures?: boolean | undefined;
  /** Rekor transparency log to look signatures up in (default `https://rekor.sigstore.dev`). */
  rekorUrl?: string | undefined;
  /** Sigstore `trusted_root.json` (Fulcio CAs, Rekor keys); default: the public-good root pinned in this package. */
  trustedRoot?: TrustedRootJson | undefined;
  /** Pinned digest table (default: the one shipped with the library). */
  pinned?: PinnedChecksumTable | undefined;
  /** Downloads in flight at once (default 4). */
  concurrency?: number | undefined;
  /**
   * How a download found in the cache is checked before it is returned: `'now'` (default) hashes
   * it again; `'on-read'` only compares its size with the cache's record, for callers that read
   * every artifact through {@link openArtifact}, which hashes while streaming and fails at the
   * end (`CHECKSUM_MISMATCH` with `cachedPath`) if the file no longer matches: the bytes used are
   * then the bytes checked, and they are hashed once instead of twice.
   */
  verifyCache?: 'now' | 'on-read' | undefined;
  onProgress?: ((event: ProgressEvent) => void) | undefined;
}

/** One verified artifact, stored in the cache. */
export interface FetchedArtifact {
  name: ArtifactName;
  version: string;
  arch: KubernetesArch;
  /** The upstream file name (`kubelet`, `cni-plugins-linux-amd64-v1.9.1.tgz`, ...). */
  fileName: string;
  /** The verified file in the content-addressed cache. Do not modify it. */
  path: string;
  /** Lowercase hex. */
  sha256: string;
  size: number;
  url: string;
  /** The strongest check this artifact passed (see {@link Verification}). */
  verification: Verification;
  /** Every check it passed, strongest first. */
  checks: Verification[];
  /** True when it came from the cache without a download. */
  fromCache: boolean;
}

/** The result of {@link fetchKubernetesArtifacts}. */
export interface FetchResult {
  version: string;
  arch: KubernetesArch;
  /** kubectl, kubeadm, kubelet, in that order. */
  binaries: FetchedArtifact[];
  /** The CNI plugins tarball (`.tgz`, plugins at its top level). */
  cni: FetchedArtifact;
  /** The crictl tarball (`.tar.gz`, one member `crictl`), when asked for. */
  crictl?: FetchedArtifact;
  /** The input lock plus the entries of this build: write it with `writeLockFile`. */
  lock: LockFile;
}

interface Job {
  name: ArtifactName;
  version: string;
  arch: KubernetesArch;
  fileName: string;
  url: string;
  checksumUrl: string;
  /** Message suffix for a 404. */
  notFoundHint: string;
}

export function artifactKey(name: string, version: string, arch: string): string {
  return `${name}/${version}/${arch}`;
}

function jobsFor(bases: Bases, version: string, arch: KubernetesArch, cni: string, crictl: string | undefined): Job[] {
  const list = 'Run `bakery list kubernetes` to see the available versions';
  const jobs: Job[] = (['kubectl', 'kubeadm', 'kubelet'] as const).map((name) => {
    const url = k8sBinaryUrl(bases.k8s, version, arch, name);
    return { name, version, arch, fileName: name, url, checksumUrl: `${url}.sha256`, notFoundHint: list };
  });
  const cniFile = cniFileName(cni, arch);
  const cniUrl = joinUrl(bases.cni, cni, cniFile);
  jobs.push({ name: 'cni-plugins', version: cni, arch, fileName: cniFile, url: cniUrl, checksumUrl: `${cniUrl}.sha256`, notFoundHint: 'See https://github.com/containernetworking/plugins/releases for the CNI versions' });
  if (crictl !== undefined) {
    const file = crictlFileName(crictl, arch);
    const url = joinUrl(bases.crictl, crictl, file);
    jobs.push({ name: 'crictl', version: crictl, arch, fileName: file, url, checksumUrl: `${url}.sha256`, notFoundHint: 'See https://github.com/kubernetes-sigs/cri-tools/releases for the crictl versions' });
  }
  return jobs;
}

function notFound(job: Job, err: KubernetesError): KubernetesError {
  const what = job.name === 'cni-plugins' ? 'CNI plugins' : job.name;
  return new KubernetesError(
    'VERSION_NOT_FOUND',
    `${what} ${job.version} for linux/${job.arch} does not exist at ${redact(err.url ?? job.url)} (HTTP 404): check the version and the architecture. ${job.notFoundHint}`,
    { artifact: job.name, version: job.version, arch: job.arch, url: err.url ?? job.url, status: 404, cause: err },
  );
}

/** The artifacts Kubernetes signs (CNI and crictl publish no signatures). */
const SIGNED: ReadonlySet<ArtifactName> = new Set(['kubectl', 'kubeadm', 'kubelet']);

class Fetcher {
  /** Offline misses, by job (reported in job order). */
  readonly missing = new Map<Job, MissingArtifact>();
  private readonly client: HttpClient;
  private readonly cache: ArtifactCache;
  private readonly opts: FetchOptions;
  private readonly table: PinnedChecksumTable;
  private readonly signatures: SignatureContext | undefined;

  constructor(client: HttpClient, cache: ArtifactCache, opts: FetchOptions, table: PinnedChecksumTable, signatures?: SignatureContext) {
    this.client = client;
    this.cache = cache;
    this.opts = opts;
    this.table = table;
    this.signatures = signatures;
  }

  private progress(job: Job, done: number, total: number | undefined, cached: boolean): void {
    this.opts.onProgress?.({ artifact: job.name, version: job.version, arch: job.arch, done, total, cached });
  }

  /** Expected digest from the strong sources, and which of them apply. */
  private expectation(job: Job): { expected: string | undefined; checks: Verification[] } {
    const key = artifactKey(job.name, job.version, job.arch);
    const pinned = lookupPinned(this.table, job.name, job.arch, job.version);
    const lockEntry = this.opts.lock?.artifacts[key];
    const locked = lockEntry?.sha256.replace(/^sha256:/, '');
    if (pinned !== undefined && locked !== undefined && pinned !== locked) {
      throw new KubernetesError(
        'CHECKSUM_MISMATCH',
        `${job.fileName} ${job.version} ${job.arch}: the lock file says ${sha256Label(locked)} but the pinned table says ${sha256Label(pinned)}; one of them is wrong, refusing to continue`,
        { artifact: job.name, version: job.version, arch: job.arch, url: job.url, expected: sha256Label(pinned), actual: sha256Label(locked) },
      );
    }
    const checks: Verification[] = [];
    if (pinned !== undefined) checks.push('pinned');
    if (locked !== undefined) checks.push('lock');
    return { expected: pinned ?? locked, checks };
  }

  /** A cached copy that still hashes to what is expected, or `undefined`. */
  private async fromCache(job: Job, key: string, expected: string | undefined, checks: Verification[]): Promise<FetchedArtifact | undefined> {
    const entry = await this.cache.get(key);
    const digest = expected ?? entry?.sha256;
    if (digest === undefined || !(await this.cache.hasBlob(digest))) return undefined;
    const path = this.cache.blobPath(digest);
    // 'on-read': hashed by whoever reads it (openArtifact); a blob of another size is corrupt for sure.
    const { size, ok } =
      this.opts.verifyCache === 'on-read' && entry?.sha256 === digest
        ? await stat(path).then((st) => ({ size: st.size, ok: st.size === entry.size }))
        : await hashFile(path).then((actual) => ({ size: actual.size, ok: actual.sha256 === digest }));
    if (!ok) {
      // Corrupt blob (disk error, tampering): forget it and fetch again.
      await this.cache.evict(key, digest);
      return undefined;
    }
    let verification: Verification;
    let all: Verification[];
    if (checks.length > 0) {
      all = [...checks];
      if (entry?.sha256 === digest && entry.verification === 'checksum-file') all.push('checksum-file');
      verification = all[0] as Verification;
    } else if (entry !== undefined) {
      verification = entry.verification;
      all = [entry.verification];
    } else {
      return undefined;
    }
    if (entry?.sha256 !== digest) {
      await this.cache.link(key, { sha256: digest, size, url: job.url, verification });
    }
    this.progress(job, size, size, true);
    return { ...this.base(job), path, sha256: digest, size, url: entry?.url ?? job.url, verification, checks: all, fromCache: true };
  }

  private base(job: Job): Pick<FetchedArtifact, 'name' | 'version' | 'arch' | 'fileName'> {
    return { name: job.name, version: job.version, arch: job.arch, fileName: job.fileName };
  }

  async run(job: Job): Promise<FetchedArtifact | undefined> {
    const result = await this.obtain(job);
    if (result === undefined || this.signatures === undefined || !SIGNED.has(job.name)) return result;
    const outcome = await checkSignature(this.signatures, { artifact: job.name, version: job.version, arch: job.arch, url: job.url, path: result.path, sha256: result.sha256 });
    if (outcome.status === 'missing') {
      this.missing.set(job, { artifact: job.name, version: job.version, arch: job.arch, reason: outcome.reason });
      return undefined;
    }
    const checks = VERIFICATION_ORDER.filter((v) => v === 'signature' || result.checks.includes(v));
    return { ...result, checks, verification: checks[0] as Verification };
  }

  private async obtain(job: Job): Promise<FetchedArtifact | undefined> {
    const key = artifactKey(job.name, job.version, job.arch);
    const { expected, checks } = this.expectation(job);
    const cached = await this.fromCache(job, key, expected, checks);
    if (cached !== undefined) return cached;
    if (this.opts.offline === true) {
      this.missing.set(job, { artifact: job.name, version: job.version, arch: job.arch, reason: `not in the cache (${this.cache.root})` });
      return undefined;
    }

    try {
      // Without a strong digest, the origin's own checksum file is the check: fetch it first,
      // so a missing version fails before a large download.
      let published: string | undefined;
      if (expected === undefined) {
        const text = await this.client.getText(job.checksumUrl, 64 * 1024);
        published = parseChecksumFile(text, job.fileName, job.checksumUrl);
      }
      const part = this.cache.partPath(key);
      await downloadToFile(this.client, job.url, part, (done, total) => this.progress(job, done, total, false));
      const actual = await hashFile(part);
      const want = expected ?? (published as string);
      if (actual.sha256 !== want) {
        await rm(part, { force: true });
        await rm(`${part}.json`, { force: true });
        const source = expected !== undefined ? (checks[0] === 'pinned' ? 'the pinned table' : 'the lock file') : `the checksum file ${redact(job.checksumUrl)}`;
        throw new KubernetesError(
          'CHECKSUM_MISMATCH',
          `checksum mismatch for ${job.fileName} (${job.name} ${job.version} ${job.arch}) from ${redact(job.url)}: expected ${sha256Label(want)} (from ${source}), got ${sha256Label(actual.sha256)}; the download was deleted`,
          { artifact: job.name, version: job.version, arch: job.arch, url: job.url, expected: sha256Label(want), actual: sha256Label(actual.sha256) },
        );
      }
      const all: Verification[] = expected !== undefined ? checks : ['checksum-file'];
      const verification = all[0] as Verification;
      const entry: CacheEntry = { sha256: actual.sha256, size: actual.size, url: job.url, verification };
      const path = (await this.cache.hasBlob(actual.sha256))
        ? await this.cache.link(key, entry).then(async () => {
            await rm(part, { force: true });
            return this.cache.blobPath(actual.sha256);
          })
        : await this.cache.put(key, entry, part);
      return { ...this.base(job), path, sha256: actual.sha256, size: actual.size, url: job.url, verification, checks: all, fromCache: false };
    } catch (err) {
      if (err instanceof KubernetesError && err.status === 404 && err.code === 'HTTP') throw notFound(job, err);
      throw err;
    }
  }
}

/**
 * Fetch and verify kubectl, kubeadm, kubelet, the CNI plugins tarball and (optionally) crictl
 * for one version and architecture, through the content-addressed cache.
 *
 * Verification, strongest first (each result says which it got): the digest in the pinned table
 * shipped with the library and/or in `lock`; otherwise the `.sha256` file from the same origin
 * (which only catches corrupt transfers). A mismatch deletes the download and throws
 * `CHECKSUM_MISMATCH`. A verified artifact is never downloaded twice. With `offline: true` only
 * the cache is used and `OFFLINE_MISSING` lists everything that is not there.
 */
export async function fetchKubernetesArtifacts(opts: FetchOptions): Promise<FetchResult> {
  const trustRoot = opts.verifySignatures === true ? parseTrustedRoot(opts.trustedRoot ?? SIGSTORE_PUBLIC_GOOD_TRUSTED_ROOT) : undefined;
  const arch = toKubernetesArch(opts.arch);
  const concurrency = opts.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new KubernetesError('INVALID_ARGUMENT', `concurrency must be a positive integer, got ${concurrency}`);
  const version = await resolveKubernetesVersion(opts.version, { ...opts, arch });
  const cniVersion = await resolveCniVersion(opts.cniVersion, opts);
  const crictlVersion = opts.crictlVersion === undefined ? undefined : await resolveCrictlVersion(opts.crictlVersion, opts);

  return withContext(opts, async ({ client, bases, cacheDir }) => {
    const cache = new ArtifactCache(cacheDir);
    await cache.ensureDirs();
    const jobs = jobsFor(bases, version, arch, cniVersion, crictlVersion);

    if (opts.frozenLock === true) {
      const uncovered = jobs.filter((j) => opts.lock?.artifacts[artifactKey(j.name, j.version, j.arch)] === undefined);
      if (uncovered.length > 0) {
        throw new KubernetesError(
          'LOCK_MISSING',
          `the lock file does not cover: ${uncovered.map((j) => `${j.name} ${j.version} ${j.arch}`).join(', ')} (frozen lock)`,
          { missing: uncovered.map((j) => ({ artifact: j.name, version: j.version, arch: j.arch, reason: 'not in the lock file' })) },
        );
      }
    }

    const signatures: SignatureContext | undefined =
      trustRoot === undefined
        ? undefined
        : { client, artifactsRoot: cache.root, rekorUrl: opts.rekorUrl ?? DEFAULT_REKOR_URL, root: trustRoot, offline: opts.offline === true };
    const fetcher = new Fetcher(client, cache, opts, opts.pinned ?? pinnedChecksums, signatures);
    const settled = await settleLimited(jobs.map((job) => () => fetcher.run(job)), concurrency);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    if (fetcher.missing.size > 0) {
      const missing = jobs.flatMap((j) => fetcher.missing.get(j) ?? []);
      const list = missing.map((m) => `${m.artifact} ${m.version} ${m.arch}${m.reason.startsWith('signature bundle') ? ` (${m.reason})` : ''}`).join(', ');
      throw new KubernetesError('OFFLINE_MISSING', `offline: missing from the cache: ${list}. Run once online to fill the cache`, { missing });
    }
    const results = settled.map((s) => (s as PromiseFulfilledResult<FetchedArtifact>).value);
    const lock: LockFile = emptyLock();
    Object.assign(lock.artifacts, opts.lock?.artifacts ?? {});
    for (const r of results) {
      lock.artifacts[artifactKey(r.name, r.version, r.arch)] = { sha256: sha256Label(r.sha256), size: r.size, url: r.url };
    }
    const sortedLock = emptyLock();
    for (const k of Object.keys(lock.artifacts).sort()) sortedLock.artifacts[k] = lock.artifacts[k] as LockFile['artifacts'][string];
    const result: FetchResult = {
      version,
      arch,
      binaries: results.filter((r) => r.name === 'kubectl' || r.name === 'kubeadm' || r.name === 'kubelet'),
      cni: results.find((r) => r.name === 'cni-plugins') as FetchedArtifact,
      lock: sortedLock,
    };
    const crictl = results.find((r) => r.name === 'crictl');
    if (crictl !== undefined) result.crictl = crictl;
    return result;
  });
}
