import { PINNED_CHECKSUMS } from '../data/pinned-checksums.js';

/** artifact (`kubelet`, `kubectl`, `kubeadm`, `cni-plugins`, `crictl`) → arch → `vX.Y.Z` → sha256 hex. */
export type PinnedChecksumTable = Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, string>>>>>>;

/** The table shipped with this library (see scripts/refresh-checksums.mjs). */
export const pinnedChecksums: PinnedChecksumTable = PINNED_CHECKSUMS;

/** The pinned sha256 (hex) of an artifact, or `undefined` when the table does not cover it. */
export function lookupPinned(table: PinnedChecksumTable, artifact: string, arch: string, version: string): string | undefined {
  const byArch = Object.hasOwn(table, artifact) ? table[artifact] : undefined;
  const byVersion = byArch !== undefined && Object.hasOwn(byArch, arch) ? byArch[arch] : undefined;
  return byVersion !== undefined && Object.hasOwn(byVersion, version) ? byVersion[version] : undefined;
}
