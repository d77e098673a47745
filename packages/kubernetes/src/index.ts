/**
 * `@sysext-bakery/kubernetes`: resolve, download and verify the Kubernetes binaries, the CNI
 * plugins and crictl for a sysext image, with a content-addressed cache, pinned digests, lock
 * files and robust transfers (undici 7).
 */
export { KubernetesError, type KubernetesErrorCode, type KubernetesErrorDetails, type MissingArtifact } from './core/errors.js';
export { toKubernetesArch, toSystemdArch, type KubernetesArch } from './core/arch.js';
export { compareVersions } from './core/version.js';
export type { Verification } from './core/verification.js';
export { VERIFICATION_ORDER } from './core/verification.js';
export { pinnedChecksums, lookupPinned, type PinnedChecksumTable } from './core/pinned.js';
export { parseChecksumFile } from './core/checksum.js';
export {
  DEFAULT_K8S_BASE_URL,
  DEFAULT_CNI_BASE_URL,
  DEFAULT_CRICTL_BASE_URL,
  DEFAULT_GITHUB_API_URL,
  type BaseOptions,
} from './core/urls.js';
export type { HttpOptions, TimeoutOptions } from './http/client.js';
export type { RetryOptions } from './http/retry.js';
export { defaultCacheDir } from './cache/paths.js';
export type { CommonOptions } from './api/options.js';
export {
  resolveKubernetesVersion,
  listKubernetesVersions,
  type ResolveVersionOptions,
  type ListVersionsOptions,
} from './api/versions.js';
export { resolveCniVersion, resolveCrictlVersion } from './api/tools.js';
export {
  fetchKubernetesArtifacts,
  artifactKey,
  type ArtifactName,
  type FetchOptions,
  type FetchResult,
  type FetchedArtifact,
  type ProgressEvent,
} from './api/fetch.js';
export { openArtifact, recheckArtifact } from './api/open.js';
export { readLockFile, writeLockFile, parseLockFile, formatLockFile, emptyLock, type LockFile, type LockEntry } from './api/lock.js';
export { DEFAULT_REKOR_URL } from './signature/rekor.js';
export { parseTrustedRoot, type TrustedRootJson, type TrustRoot } from './signature/trust-root.js';
export { SIGSTORE_PUBLIC_GOOD_TRUSTED_ROOT } from './data/trusted-root.js';
export { KUBERNETES_SIGNER, type SignerPolicy } from './signature/verify.js';
export type { SigstoreBundle } from './signature/bundle.js';
