/**
 * How an artifact was verified, strongest first:
 * - `pinned`: matched the digest table shipped with this library (published digests, reviewed
 *   independently of the download origin);
 * - `lock`: matched the digest in the user's lock file (written by an earlier build);
 * - `signature`: the Kubernetes release signature (cosign keyless) was verified;
 * - `checksum-file`: matched the `.sha256` file from the same origin: catches corrupt transfers
 *   only, not a compromised origin.
 */
export type Verification = 'lock' | 'pinned' | 'signature' | 'checksum-file';

/** Strongest first. */
export const VERIFICATION_ORDER: readonly Verification[] = ['pinned', 'lock', 'signature', 'checksum-file'];
