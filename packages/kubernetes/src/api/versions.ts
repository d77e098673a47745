import { ArtifactCache } from '../cache/store.js';
import { KubernetesError } from '../core/errors.js';
import { compareVersions, exactVersion, minorOf, parseVersion, RELEASE_RE, STABLE_RE } from '../core/version.js';
import { joinUrl, k8sMarkerUrl, redact } from '../core/urls.js';
import type { HttpClient } from '../http/client.js';
import { withContext, type CommonOptions } from './options.js';

const K8S_BINARIES = ['kubectl', 'kubeadm', 'kubelet'] as const;

type Spec =
  | { kind: 'exact'; version: string }
  | { kind: 'marker'; marker: string; minor: string | undefined; stableOnly: boolean };

function parseSpec(spec: string): Spec {
  const s = spec.trim().toLowerCase();
  if (s === 'stable') return { kind: 'marker', marker: 'stable', minor: undefined, stableOnly: true };
  if (s === 'latest') return { kind: 'marker', marker: 'latest', minor: undefined, stableOnly: false };
  const named = /^(stable|latest)-v?(\d+\.\d+)$/.exec(s);
  if (named !== null) return { kind: 'marker', marker: `${named[1]}-${named[2]}`, minor: named[2], stableOnly: named[1] === 'stable' };
  const minor = /^v?(\d+\.\d+)$/.exec(s);
  if (minor !== null) return { kind: 'marker', marker: `stable-${minor[1]}`, minor: minor[1], stableOnly: true };
  return { kind: 'exact', version: exactVersion(spec.trim(), 'Kubernetes') };
}

async function readMarker(client: HttpClient, base: string, marker: string): Promise<string> {
  const url = k8sMarkerUrl(base, marker);
  const text = (await client.getText(url, 1024)).trim();
  if (!RELEASE_RE.test(text)) {
    throw new KubernetesError('HTTP', `version marker ${redact(url)} holds "${text.slice(0, 40)}", not a version`, { url });
  }
  return text;
}

/** Versions for which the cache holds kubectl, kubeadm and kubelet (for any architecture, or `arch`). */
async function cachedKubernetesVersions(cacheDir: string, arch?: string): Promise<string[]> {
  const entries = await new ArtifactCache(cacheDir).readIndex();
  const have = new Map<string, Set<string>>();
  for (const key of Object.keys(entries)) {
    const [name, version, a] = key.split('/');
    if (name === undefined || version === undefined || a === undefined) continue;
    if (!(K8S_BINARIES as readonly string[]).includes(name) || (arch !== undefined && a !== arch)) continue;
    const k = `${version}/${a}`;
    if (!have.has(k)) have.set(k, new Set());
    have.get(k)?.add(name);
  }
  const versions = new Set<string>();
  for (const [k, names] of have) if (names.size === K8S_BINARIES.length) versions.add(k.split('/')[0] as string);
  return [...versions].sort(compareVersions).reverse();
}

/** Options of {@link resolveKubernetesVersion}. */
export interface ResolveVersionOptions extends CommonOptions {
  /** Offline only: consider cached artifacts of this Kubernetes architecture (`amd64`/`arm64`). */
  arch?: string | undefined;
}

/**
 * Resolve a version spec to an exact `vX.Y.Z`:
 * - `v1.32.0` / `1.32.0` (also pre-releases like `v1.33.0-rc.1`): returned as is (normalised), no network;
 * - `v1.32` / `1.32`: the newest stable patch of that minor (`release/stable-1.32.txt`);
 * - `stable`: the newest stable release (`release/stable.txt`);
 * - `latest`: the newest release, possibly a pre-release (`release/latest.txt`);
 * - `stable-1.32` / `latest-1.32`: those markers.
 *
 * Markers are read from `k8sBaseUrl` (default `https://dl.k8s.io`). With `offline: true`, markers
 * resolve to the newest matching version in the cache. Errors: `INVALID_ARGUMENT` (bad spec),
 * `VERSION_NOT_FOUND` (no such minor), `OFFLINE_MISSING`, `HTTP`/`NETWORK`.
 */
export async function resolveKubernetesVersion(spec: string, opts: ResolveVersionOptions = {}): Promise<string> {
  const parsed = parseSpec(spec);
  if (parsed.kind === 'exact') return parsed.version;
  return withContext(opts, async ({ client, bases, cacheDir }) => {
    if (opts.offline === true) {
      const cached = (await cachedKubernetesVersions(cacheDir, opts.arch)).filter(
        (v) => (!parsed.stableOnly || STABLE_RE.test(v)) && (parsed.minor === undefined || minorOf(v) === parsed.minor),
      );
      const found = cached[0];
      if (found === undefined) {
        throw new KubernetesError('OFFLINE_MISSING', `offline: no cached Kubernetes release matches "${spec}"; run once online or give an exact version`, {
          missing: [{ artifact: 'kubernetes', version: spec, arch: opts.arch ?? 'any', reason: 'no cached release matches' }],
        });
      }
      return found;
    }
    try {
      return await readMarker(client, bases.k8s, parsed.marker);
    } catch (err) {
      if (!(err instanceof KubernetesError) || err.status !== 404) throw err;
      let hint = '';
      if (parsed.minor !== undefined && parsed.stableOnly) {
        try {
          const pre = await readMarker(client, bases.k8s, `latest-${parsed.minor}`);
          hint = `; ${parsed.minor} has no stable release yet, the newest pre-release is ${pre} (ask for it explicitly)`;
        } catch {
          // no pre-release either
        }
      }
      throw new KubernetesError('VERSION_NOT_FOUND', `no Kubernetes release matches "${spec}": ${redact(err.url ?? '')} does not exist${hint}. Run \`bakery list kubernetes\` to see the versions`, {
        version: spec,
        ...(err.url !== undefined ? { url: err.url } : {}),
        status: 404,
        cause: err,
      });
    }
  });
}

/** Options of {@link listKubernetesVersions}. */
export interface ListVersionsOptions extends CommonOptions {
  /** Only the newest patch of each supported minor (like the bakery's `list --latest true`). */
  latest?: boolean | undefined;
  /** How many minors count as supported, newest first (default 3: upstream supports the newest three). */
  minors?: number | undefined;
  /**
   * Where the list comes from (default `auto`: GitHub, then the markers if GitHub fails):
   * - `github`: the GitHub releases API of kubernetes/kubernetes (paginated; drafts and
   *   pre-releases left out). A release appears there as soon as it is published;
   * - `markers`: `release/stable.txt` plus `release/stable-1.XX.txt` for each supported minor on
   *   `k8sBaseUrl`; the patches of a minor are numbered without gaps, so `v1.XX.0` up to the
   *   marker are all the releases of that minor. This also works against a mirror or offline tree.
   */
  source?: 'auto' | 'github' | 'markers' | undefined;
}

interface GithubRelease {
  tag_name?: unknown;
  draft?: unknown;
  prerelease?: unknown;
}

function nextLink(link: string | undefined): string | undefined {
  if (link === undefined) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m !== null) return m[1];
  }
  return undefined;
}

async function listFromGithub(client: HttpClient, api: string, minors: number): Promise<string[]> {
  const found = new Set<string>();
  let url: string | undefined = `${joinUrl(api, 'repos', 'kubernetes', 'kubernetes', 'releases')}?per_page=100`;
  for (let page = 0; url !== undefined && page < 50; page++) {
    const { json, link } = await client.getJson(url);
    if (!Array.isArray(json)) throw new KubernetesError('HTTP', `${redact(url)} did not return a list of releases`, { url });
    for (const r of json as GithubRelease[]) {
      if (r.draft === true || r.prerelease === true || typeof r.tag_name !== 'string') continue;
      if (STABLE_RE.test(r.tag_name)) found.add(r.tag_name);
    }
    // Releases come newest first. Stop once every supported minor's .0 release has been seen:
    // everything older belongs to older minors.
    const supported = supportedMinors([...found], minors);
    if (supported.length === minors && supported.every((m) => found.has(`v${m}.0`))) break;
    url = json.length === 0 ? undefined : nextLink(link);
  }
  if (found.size === 0) throw new KubernetesError('HTTP', `the GitHub releases of kubernetes/kubernetes list no stable release`, { url: api });
  return [...found];
}

function supportedMinors(versions: string[], minors: number): string[] {
  const all = [...new Set(versions.map(minorOf))].sort((a, b) => compareVersions(`v${a}.0`, `v${b}.0`)).reverse();
  return all.slice(0, minors);
}

async function listFromMarkers(client: HttpClient, base: string, minors: number): Promise<string[]> {
  const newest = parseVersion(await readMarker(client, base, 'stable'));
  if (newest === undefined) throw new KubernetesError('HTTP', 'bad stable marker');
  const out: string[] = [];
  for (let m = newest.minor; m > newest.minor - minors && m >= 0; m--) {
    let top: string;
    try {
      top = await readMarker(client, base, `stable-${newest.major}.${m}`);
    } catch (err) {
      if (err instanceof KubernetesError && err.status === 404) continue;
      throw err;
    }
    const p = parseVersion(top);
    if (p === undefined) continue;
    for (let patch = p.patch; patch >= 0; patch--) out.push(`v${p.major}.${p.minor}.${patch}`);
  }
  return out;
}

/**
 * List the Kubernetes releases of the supported minors, newest first (with `latest: true`, only
 * the newest patch of each). The bakery reads `kubernetes/website` `schedule.yaml` instead, which
 * lags real releases by days or weeks (flatcar/sysext-bakery#265); this reads the releases
 * themselves: the GitHub releases API (honouring `GITHUB_TOKEN`/`GH_TOKEN`), falling back to the
 * dl.k8s.io `stable-1.XX.txt` markers, which are updated with each release.
 */
export async function listKubernetesVersions(opts: ListVersionsOptions = {}): Promise<string[]> {
  const minors = opts.minors ?? 3;
  if (!Number.isInteger(minors) || minors < 1) throw new KubernetesError('INVALID_ARGUMENT', `minors must be a positive integer, got ${minors}`);
  return withContext(opts, async ({ client, bases, cacheDir }) => {
    let versions: string[];
    if (opts.offline === true) {
      versions = (await cachedKubernetesVersions(cacheDir)).filter((v) => STABLE_RE.test(v));
    } else if (opts.source === 'markers') {
      versions = await listFromMarkers(client, bases.k8s, minors);
    } else if (opts.source === 'github') {
      versions = await listFromGithub(client, bases.githubApi, minors);
    } else {
      try {
        versions = await listFromGithub(client, bases.githubApi, minors);
      } catch (err) {
        if (!(err instanceof KubernetesError) || !['HTTP', 'NETWORK', 'REDIRECT_LOOP'].includes(err.code)) throw err;
        versions = await listFromMarkers(client, bases.k8s, minors);
      }
    }
    const keep = new Set(supportedMinors(versions, minors));
    const sorted = [...new Set(versions)].filter((v) => keep.has(minorOf(v))).sort(compareVersions).reverse();
    if (opts.latest !== true) return sorted;
    const seen = new Set<string>();
    return sorted.filter((v) => {
      const m = minorOf(v);
      if (seen.has(m)) return false;
      seen.add(m);
      return true;
    });
  });
}
