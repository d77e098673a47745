import { KubernetesError } from './errors.js';

/** Architecture names as Kubernetes and the CNI plugins spell them in their file names. */
export type KubernetesArch = 'amd64' | 'arm64';

const ALIASES: Readonly<Record<string, KubernetesArch>> = {
  // systemd (extension-release ARCHITECTURE=, sysupdate %a)
  'x86-64': 'amd64',
  arm64: 'arm64',
  // uname -m / Node's process.arch / the Kubernetes names themselves
  x86_64: 'amd64',
  x64: 'amd64',
  amd64: 'amd64',
  aarch64: 'arm64',
};

/**
 * Map a systemd architecture name (`x86-64`, `arm64`) to the Kubernetes one (`amd64`, `arm64`).
 * The Kubernetes names and `uname -m` names are accepted too. Anything else throws
 * `ARCH_UNSUPPORTED`: the sysext images are built for x86-64 and arm64 only.
 */
export function toKubernetesArch(arch: string): KubernetesArch {
  const mapped = Object.hasOwn(ALIASES, arch) ? ALIASES[arch] : undefined;
  if (mapped === undefined) {
    throw new KubernetesError(
      'ARCH_UNSUPPORTED',
      `unsupported architecture "${arch}": use x86-64 or arm64 (systemd names) or amd64/arm64`,
      { arch },
    );
  }
  return mapped;
}

/** The systemd name of a Kubernetes architecture (`amd64` → `x86-64`). */
export function toSystemdArch(arch: KubernetesArch): 'x86-64' | 'arm64' {
  return arch === 'amd64' ? 'x86-64' : 'arm64';
}
