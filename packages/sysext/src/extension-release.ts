import { SysextError } from './errors.js';

/** Architecture names systemd accepts in ARCHITECTURE= (the ConditionArchitecture= names). */
export const SYSTEMD_ARCHITECTURES = [
  'x86-64', 'x86', 'arm64', 'arm64-be', 'arm', 'arm-be', 'alpha', 'arc', 'arc-be', 'cris', 'ia64',
  'loongarch64', 'm68k', 'mips', 'mips-le', 'mips64', 'mips64-le', 'parisc', 'parisc64', 'ppc',
  'ppc-le', 'ppc64', 'ppc64-le', 'riscv32', 'riscv64', 's390', 's390x', 'sh', 'sh64', 'sparc',
  'sparc64', 'tilegx', '_any',
] as const;

/** Directory of sysext extension-release files inside the image. */
export const EXTENSION_RELEASE_DIR = 'usr/lib/extension-release.d';

export function extensionReleasePath(name: string): string {
  return `${EXTENSION_RELEASE_DIR}/extension-release.${name}`;
}

/**
 * Image names systemd accepts and that survive sysupdate patterns and URLs: letters, digits and
 * `._+-`, starting with a letter or digit, no `.raw` suffix.
 */
export function validateImageName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/.test(name)) {
    throw new SysextError('INVALID_ARGUMENT', `invalid extension name ${JSON.stringify(name)}: use letters, digits and "._+-", starting with a letter or digit`);
  }
  if (name.endsWith('.raw')) {
    throw new SysextError('INVALID_ARGUMENT', `extension name ${JSON.stringify(name)} must not end in ".raw": the image file name adds it`);
  }
}

const ARCH_ALIASES: Readonly<Record<string, string>> = { x86_64: 'x86-64', amd64: 'x86-64', x64: 'x86-64', aarch64: 'arm64' };

/** The systemd name of an architecture given as `uname -m`, Go/Kubernetes or Node names (`amd64` → `x86-64`). */
export function normalizeArchitecture(arch: string): string {
  return Object.hasOwn(ARCH_ALIASES, arch) ? ARCH_ALIASES[arch]! : arch;
}

export function validateArchitecture(arch: string): void {
  if (!(SYSTEMD_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new SysextError('INVALID_ARGUMENT', `unknown architecture ${JSON.stringify(arch)}: systemd names are ${SYSTEMD_ARCHITECTURES.join(', ')}`);
  }
}

export interface ExtensionReleaseOptions {
  /** ID= of the host OS, or `_any` (default). */
  os?: string;
  /** SYSEXT_LEVEL=; default `1.0` when `os` names an OS (as the bakery), omitted for `_any`. */
  sysextLevel?: string | null;
  /** ARCHITECTURE=; omitted when undefined. */
  arch?: string;
  /** EXTENSION_RELOAD_MANAGER=1 (reload systemd after merge so new units are seen). */
  reloadManager?: boolean;
  /** More fields (e.g. SYSEXT_SCOPE, SYSEXT_VERSION_ID), appended in the given order. */
  extra?: Readonly<Record<string, string>>;
}

const KEY_RE = /^[A-Z_][A-Z0-9_]*$/;
const RESERVED = new Set(['ID', 'SYSEXT_LEVEL', 'ARCHITECTURE', 'EXTENSION_RELOAD_MANAGER']);

function quote(value: string): string {
  if (/^[A-Za-z0-9_.,:/@%+=-]*$/.test(value)) return value;
  return `"${value.replace(/(["\\`$])/g, '\\$1')}"`;
}

/**
 * The extension-release text, in the bakery's order: ID, SYSEXT_LEVEL, ARCHITECTURE,
 * EXTENSION_RELOAD_MANAGER, then extras.
 */
export function formatExtensionRelease(options: ExtensionReleaseOptions): string {
  const os = options.os ?? '_any';
  if (!/^[a-z0-9._-]+$/.test(os) && os !== '_any') {
    throw new SysextError('INVALID_ARGUMENT', `invalid OS id ${JSON.stringify(os)}: os-release ID= is lower-case letters, digits and "._-"`);
  }
  const lines = [`ID=${os}`];
  const level = options.sysextLevel === undefined ? (os === '_any' ? null : '1.0') : options.sysextLevel;
  if (level !== null) lines.push(`SYSEXT_LEVEL=${quote(level)}`);
  if (options.arch !== undefined) {
    validateArchitecture(options.arch);
    lines.push(`ARCHITECTURE=${options.arch}`);
  }
  if (options.reloadManager === true) lines.push('EXTENSION_RELOAD_MANAGER=1');
  for (const [key, value] of Object.entries(options.extra ?? {})) {
    if (!KEY_RE.test(key)) throw new SysextError('INVALID_ARGUMENT', `invalid extension-release key ${JSON.stringify(key)}`);
    if (RESERVED.has(key)) throw new SysextError('INVALID_ARGUMENT', `extension-release key ${key} is set by its own option, not as an extra field`);
    if (/[\n\0]/.test(value)) throw new SysextError('INVALID_ARGUMENT', `extension-release value of ${key} contains a newline or NUL`);
    lines.push(`${key}=${quote(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Parses os-release syntax: KEY=VALUE, shell-style quotes, `#` comments. Throws on malformed lines. */
export function parseExtensionRelease(text: string, path = 'extension-release'): Map<string, string> {
  const fields = new Map<string, string>();
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? '' : line.slice(0, eq);
    if (!KEY_RE.test(key)) {
      throw new SysextError('INVALID_EXTENSION_RELEASE', `${path}:${index + 1}: not a KEY=VALUE line: ${JSON.stringify(raw)}`, { path });
    }
    fields.set(key, unquote(line.slice(eq + 1), path, index + 1));
  });
  return fields;
}

function unquote(value: string, path: string, line: number): string {
  let out = '';
  let quoteChar: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoteChar === undefined && (c === '"' || c === "'")) quoteChar = c;
    else if (c === quoteChar) quoteChar = undefined;
    else if (c === '\\' && quoteChar !== "'" && i + 1 < value.length) out += value[++i];
    else out += c;
  }
  if (quoteChar !== undefined) {
    throw new SysextError('INVALID_EXTENSION_RELEASE', `${path}:${line}: unterminated quote`, { path });
  }
  return out;
}

export interface ExtensionReleaseCheck {
  /** Problems that make systemd-sysext refuse or ignore the image on every host. */
  errors: string[];
  /** Things worth knowing (e.g. it only merges on one OS). */
  notes: string[];
}

/** Checks the fields systemd-sysext matches on (values only; the name is checked by the caller). */
export function checkExtensionRelease(fields: ReadonlyMap<string, string>): ExtensionReleaseCheck {
  const errors: string[] = [];
  const notes: string[] = [];
  const id = fields.get('ID');
  if (id === undefined || id === '') errors.push('ID= is missing: systemd-sysext refuses the image');
  else if (id !== '_any' && !fields.has('SYSEXT_LEVEL') && !fields.has('VERSION_ID')) {
    errors.push(`ID=${id} without SYSEXT_LEVEL= or VERSION_ID=: systemd-sysext refuses the image`);
  } else if (id !== '_any') notes.push(`merges only on hosts with ID=${id}`);
  const arch = fields.get('ARCHITECTURE');
  if (arch !== undefined && !(SYSTEMD_ARCHITECTURES as readonly string[]).includes(arch)) {
    errors.push(`ARCHITECTURE=${arch} is not a systemd architecture name: no host matches it`);
  }
  const scope = fields.get('SYSEXT_SCOPE');
  if (scope !== undefined && !scope.split(/\s+/).some((s) => s === 'system')) {
    notes.push(`SYSEXT_SCOPE=${scope} does not include "system": not merged on a booted host`);
  }
  const reload = fields.get('EXTENSION_RELOAD_MANAGER');
  if (reload !== undefined && !['0', '1', 'yes', 'no', 'true', 'false'].includes(reload)) {
    errors.push(`EXTENSION_RELOAD_MANAGER=${reload} is not a boolean`);
  }
  return { errors, notes };
}
