import { pathToFileURL } from 'node:url';
import type { KubernetesArch } from './arch.js';

/** Default origin of the Kubernetes binaries and version markers. */
export const DEFAULT_K8S_BASE_URL = 'https://dl.k8s.io';
/** Default origin of the CNI plugin tarballs (GitHub release downloads). */
export const DEFAULT_CNI_BASE_URL = 'https://github.com/containernetworking/plugins/releases/download';
/** Default origin of the crictl tarballs (GitHub release downloads). */
export const DEFAULT_CRICTL_BASE_URL = 'https://github.com/kubernetes-sigs/cri-tools/releases/download';
/** Default GitHub REST API root (release listings, latest CNI release). */
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/**
 * Turn a base given as a URL (`https://…`, `http://…`, `file://…`) or as a plain directory path
 * (`/srv/mirror`, `C:\mirror`, `./mirror`) into a URL string without a trailing slash.
 */
export function normaliseBase(base: string): string {
  let url: string;
  if (/^[a-z][a-z0-9+.-]+:/i.test(base) && !/^[a-z]:[\\/]/i.test(base)) url = base;
  else url = pathToFileURL(base).href;
  return url.replace(/\/+$/, '');
}

/** Join a base URL and path segments (segments are URL-encoded). */
export function joinUrl(base: string, ...segments: string[]): string {
  return [normaliseBase(base), ...segments.map((s) => encodeURIComponent(s))].join('/');
}

/** The bases in effect: explicit option, else environment variable, else the default. */
export interface Bases {
  k8s: string;
  cni: string;
  crictl: string;
  githubApi: string;
}

export interface BaseOptions {
  /** Kubernetes mirror, default `https://dl.k8s.io` or `$BAKERY_K8S_BASE_URL`. */
  k8sBaseUrl?: string | undefined;
  /** CNI mirror, default the GitHub release downloads or `$BAKERY_CNI_BASE_URL`. */
  cniBaseUrl?: string | undefined;
  /** crictl mirror, default the GitHub release downloads or `$BAKERY_CRICTL_BASE_URL`. */
  crictlBaseUrl?: string | undefined;
  /** GitHub REST API root, default `https://api.github.com` or `$BAKERY_GITHUB_API_URL`. */
  githubApiUrl?: string | undefined;
  /** Environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

function pick(explicit: string | undefined, envValue: string | undefined, fallback: string): string {
  if (explicit !== undefined && explicit !== '') return normaliseBase(explicit);
  if (envValue !== undefined && envValue !== '') return normaliseBase(envValue);
  return fallback;
}

export function resolveBases(opts: BaseOptions): Bases {
  const env = opts.env ?? process.env;
  return {
    k8s: pick(opts.k8sBaseUrl, env.BAKERY_K8S_BASE_URL, DEFAULT_K8S_BASE_URL),
    cni: pick(opts.cniBaseUrl, env.BAKERY_CNI_BASE_URL, DEFAULT_CNI_BASE_URL),
    crictl: pick(opts.crictlBaseUrl, env.BAKERY_CRICTL_BASE_URL, DEFAULT_CRICTL_BASE_URL),
    githubApi: pick(opts.githubApiUrl, env.BAKERY_GITHUB_API_URL, DEFAULT_GITHUB_API_URL),
  };
}

/** `<base>/release/<v>/bin/linux/<arch>/<name>` */
export function k8sBinaryUrl(base: string, version: string, arch: KubernetesArch, name: string): string {
  return joinUrl(base, 'release', version, 'bin', 'linux', arch, name);
}

/** `<base>/release/<marker>.txt` */
export function k8sMarkerUrl(base: string, marker: string): string {
  return joinUrl(base, 'release', `${marker}.txt`);
}

/** `cni-plugins-linux-<arch>-<v>.tgz` */
export function cniFileName(version: string, arch: KubernetesArch): string {
  return `cni-plugins-linux-${arch}-${version}.tgz`;
}

/** `crictl-<v>-linux-<arch>.tar.gz` */
export function crictlFileName(version: string, arch: KubernetesArch): string {
  return `crictl-${version}-linux-${arch}.tar.gz`;
}

/** A URL with any userinfo removed, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.username !== '' || u.password !== '') {
      u.username = '';
      u.password = '';
    }
    return u.href;
  } catch {
    return url;
  }
}
