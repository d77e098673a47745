import { SysextError } from './errors.js';

/** One manifest line: the digest and the file name it covers. */
export interface Sha256SumsEntry {
  sha256: string;
  name: string;
}

const LINE_RE = /^([0-9a-f]{64}) [ *](.+)$/;

/** A name systemd-sysupdate accepts in a manifest: relative, normalized, no control chars, no leading "\\". */
export function checkManifestName(name: string): void {
  const bad =
    name === '' ||
    name.startsWith('/') ||
    name.startsWith('\\') ||
    name.split('/').some((part) => part === '' || part === '.' || part === '..') ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/.test(name) ||
    !(name as unknown as { isWellFormed(): boolean }).isWellFormed();
  if (bad) throw new SysextError('INVALID_ARGUMENT', `${JSON.stringify(name)} cannot be listed in SHA256SUMS: systemd-sysupdate refuses absolute, non-normalized or escaped names and control characters`);
}

/** Parses a SHA256SUMS manifest (`<64 hex> <space|*><name>\n` per line) as systemd-sysupdate does. */
export function parseSha256Sums(text: string): Sha256SumsEntry[] {
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new SysextError('INVALID_ARGUMENT', 'SHA256SUMS: truncated manifest (no final newline)');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, index) => {
      const m = LINE_RE.exec(line);
      if (m === null) throw new SysextError('INVALID_ARGUMENT', `SHA256SUMS:${index + 1}: not "<sha256>  <name>": ${JSON.stringify(line)}`);
      return { sha256: m[1]!, name: m[2]! };
    });
}

/** Formats entries as `sha256sum` prints them, sorted by name (byte order), one per line. */
export function formatSha256Sums(entries: readonly Sha256SumsEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sorted.map((e) => `${e.sha256}  ${e.name}\n`).join('');
}

/**
 * Returns the manifest with `entry` added, replacing any line for the same name and keeping
 * all others; the result is sorted by name and ends in a newline.
 */
export function updateSha256Sums(text: string, entry: Sha256SumsEntry): string {
  checkManifestName(entry.name);
  if (!/^[0-9a-f]{64}$/.test(entry.sha256)) throw new SysextError('INVALID_ARGUMENT', `not a lower-case SHA-256 hex digest: ${entry.sha256}`);
  const kept = parseSha256Sums(text).filter((e) => e.name !== entry.name);
  return formatSha256Sums([...kept, entry]);
}
