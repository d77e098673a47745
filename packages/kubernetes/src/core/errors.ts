/**
 * The one error class of `@sysext-bakery/kubernetes`. Every failure carries a stable string
 * `code`; where it applies also the `url`, the `artifact` name, the `version` and the `arch`.
 */
export type KubernetesErrorCode =
  | 'INVALID_ARGUMENT' // a bad option or version spec
  | 'VERSION_NOT_FOUND' // a version, minor or artifact that the origin does not have (HTTP 404)
  | 'ARCH_UNSUPPORTED' // an architecture Kubernetes/CNI do not build for
  | 'CHECKSUM_MISMATCH' // the bytes do not match the expected digest (the download is deleted)
  | 'CHECKSUM_INVALID' // a checksum file that is not a digest for this file
  | 'LOCK_MISSING' // `frozenLock` is set and the lock file has no entry for an artifact
  | 'HTTP' // an unexpected HTTP status (after retries for 5xx/429)
  | 'NETWORK' // connection failures and timeouts, after retries
  | 'REDIRECT_LOOP' // a redirect cycle or too many redirects
  | 'OFFLINE_MISSING' // `offline: true` and the cache lacks some artifacts (all are listed)
  | 'SIGNATURE' // signature verification failed or is unavailable
  | 'TAR_UNSAFE' // an archive entry that must not be unpacked
  | 'IO'; // the cache or a local mirror could not be read or written

const BRAND = Symbol.for('@sysext-bakery/kubernetes.error');

export interface KubernetesErrorDetails {
  url?: string;
  artifact?: string;
  version?: string;
  arch?: string;
  /** HTTP status, for `HTTP` and `VERSION_NOT_FOUND`. */
  status?: number;
  /** For `CHECKSUM_MISMATCH`: the expected and the actual `sha256:` digests. */
  expected?: string;
  actual?: string;
  /** For `CHECKSUM_MISMATCH` from `openArtifact`: the cached file that no longer matches its digest. */
  cachedPath?: string;
  /** For `OFFLINE_MISSING` / `LOCK_MISSING`: every artifact that is missing. */
  missing?: readonly MissingArtifact[];
  cause?: unknown;
}

/** One artifact that the cache or the lock file does not hold. */
export interface MissingArtifact {
  artifact: string;
  version: string;
  arch: string;
  /** Why it is missing (not cached, cached copy corrupt, ...). */
  reason: string;
}

export class KubernetesError extends Error {
  override readonly name = 'KubernetesError';
  readonly code: KubernetesErrorCode;
  readonly url?: string;
  readonly artifact?: string;
  readonly version?: string;
  readonly arch?: string;
  readonly status?: number;
  readonly expected?: string;
  readonly actual?: string;
  readonly cachedPath?: string;
  readonly missing?: readonly MissingArtifact[];

  constructor(code: KubernetesErrorCode, message: string, details: KubernetesErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.url !== undefined) this.url = details.url;
    if (details.artifact !== undefined) this.artifact = details.artifact;
    if (details.version !== undefined) this.version = details.version;
    if (details.arch !== undefined) this.arch = details.arch;
    if (details.status !== undefined) this.status = details.status;
    if (details.expected !== undefined) this.expected = details.expected;
    if (details.actual !== undefined) this.actual = details.actual;
    if (details.cachedPath !== undefined) this.cachedPath = details.cachedPath;
    if (details.missing !== undefined) this.missing = details.missing;
  }

  /** `instanceof` works across duplicate copies of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  get [BRAND](): boolean {
    return true;
  }
}
