import { ArtifactCache } from '../cache/store.js';
import { KubernetesError } from '../core/errors.js';
import { compareVersions, exactVersion, STABLE_RE } from '../core/version.js';
import { joinUrl, redact } from '../core/urls.js';
import { withContext, type CommonOptions } from './options.js';

async function latestGithubRelease(opts: CommonOptions, owner: string, repo: string, artifact: string): Promise<string> {
  return withContext(opts, async ({ client, bases, cacheDir }) => {
    if (opts.offline === true) {
      const entries = await new ArtifactCache(cacheDir).readIndex();
      const versions = Object.keys(entries)
        .map((k) => k.split('/'))
        .filter((p) => p[0] === artifact && p[1] !== undefined && STABLE_RE.test(p[1]))
        .map((p) => p[1] as string)
        .sort(compareVersions);
      const newest = versions.at(-1);
      if (newest === undefined) {
        throw new KubernetesError('OFFLINE_MISSING', `offline: no cached ${artifact} release; give its version explicitly or run once online`, {
          missing: [{ artifact, version: 'latest', arch: 'any', reason: 'not cached' }],
        });
      }
      return newest;
    }
    const url = joinUrl(bases.githubApi, 'repos', owner, repo, 'releases', 'latest');
    const { json } = await client.getJson(url);
    const tag = (json as { tag_name?: unknown } | null)?.tag_name;
    if (typeof tag !== 'string' || !STABLE_RE.test(tag)) {
      throw new KubernetesError('HTTP', `${redact(url)} returned no usable tag_name`, { url });
    }
    return tag;
  });
}

/**
 * The CNI plugins version: `spec` normalised (`1.9.1` → `v1.9.1`), or, when `spec` is
 * `undefined` or `latest`, the latest release of containernetworking/plugins (GitHub API
 * `releases/latest`; offline: the newest cached one).
 */
export async function resolveCniVersion(spec: string | undefined, opts: CommonOptions = {}): Promise<string> {
  if (spec !== undefined && spec.trim().toLowerCase() !== 'latest') return exactVersion(spec, 'CNI plugins');
  return latestGithubRelease(opts, 'containernetworking', 'plugins', 'cni-plugins');
}

/** The crictl version: `spec` normalised, or for `latest` the latest release of kubernetes-sigs/cri-tools. */
export async function resolveCrictlVersion(spec: string, opts: CommonOptions = {}): Promise<string> {
  if (spec.trim().toLowerCase() !== 'latest') return exactVersion(spec, 'crictl');
  return latestGithubRelease(opts, 'kubernetes-sigs', 'cri-tools', 'crictl');
}
