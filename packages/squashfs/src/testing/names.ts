import fc from 'fast-check';
import { MAX_NAME_BYTES, MAX_SYMLINK_BYTES, nameBytes, nameProblem } from '../tree/names.js';

/**
 * Names whose order differs between UTF-16 code units (JS `<`, `sort()`) and UTF-8 bytes
 * (what SquashFS needs): U+FF61..U+FFFF sort after surrogate pairs in UTF-16 but before them in UTF-8.
 */
export const ORDER_TRAP_NAMES: readonly string[] = [
  '\uFF61', '\uFFFD', '\u{1F600}', '\u{10000}', '\uE000', 'a\uFFFD', 'a\u{1F600}', 'Z', 'z', '~', '\u00E9', 'e\u0301', 'Ä', '_', '-', 'A',
];

/**
 * Linux's NAME_MAX: a name of 256 bytes is valid SquashFS but no Linux filesystem (nor the VFS
 * lookup of a mounted image) accepts it, so generated trees stop at 255 unless asked otherwise.
 */
export const LINUX_NAME_MAX = 255;

/** Names of exactly `bytes` UTF-8 bytes built from 1-, 2-, 3- and 4-byte characters. */
export function longestNames(bytes: number = LINUX_NAME_MAX): string[] {
  const pad = (s: string): string => s + 'x'.repeat(bytes - nameBytes(s).length);
  return [
    'x'.repeat(bytes),
    pad('é'.repeat(Math.floor(bytes / 2))),
    pad('€'.repeat(Math.floor(bytes / 3))),
    pad('😀'.repeat(Math.floor(bytes / 4))),
    pad(`a${'😀'.repeat(Math.floor((bytes - 4) / 4))}`),
  ];
}

/** 255-byte names (see `longestNames`). */
export const LONGEST_NAMES: readonly string[] = longestNames();

/** No NUL, no "/", no C0 controls or DEL (tool listings are line based), not "." or "..", ≤ 256 bytes. */
export function isUsableName(name: string): boolean {
  return nameProblem(name) === undefined && !/[\u0000-\u001f\u007f]/.test(name);
}

/** Trims a string to at most `max` UTF-8 bytes without splitting a character. */
export function truncateUtf8(value: string, max: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of value) {
    const n = nameBytes(ch).length;
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * Directory entry names: plain ASCII, shell-hostile ASCII, any Unicode, order traps and names of
 * the longest length (`maxBytes`, default 255 = Linux NAME_MAX; SquashFS itself allows 256).
 */
export function arbName(maxBytes: number = LINUX_NAME_MAX): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,11}$/) },
      { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...' !"#$%&\'()*+,-.:;<=>?@[\\]^`{|}~aZ'), minLength: 1, maxLength: 8 }) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }) },
      { weight: 2, arbitrary: fc.constantFrom(...ORDER_TRAP_NAMES) },
      { weight: 1, arbitrary: fc.constantFrom(...longestNames(Math.min(maxBytes, MAX_NAME_BYTES))) },
    )
    .map((n) => truncateUtf8(n, Math.min(maxBytes, MAX_NAME_BYTES)))
    .filter(isUsableName);
}

/** Symlink targets: relative and absolute paths, dangling ones, Unicode, and targets up to 4095 bytes. */
export function arbSymlinkTarget(): fc.Arbitrary<string> {
  const segment = fc.oneof(fc.stringMatching(/^[a-z0-9._-]{1,10}$/), fc.constant('..'), fc.constant('.'));
  return fc
    .oneof(
      { weight: 5, arbitrary: fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/')) },
      { weight: 2, arbitrary: fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: MAX_SYMLINK_BYTES }).map((n) => 't'.repeat(n)) },
      { weight: 1, arbitrary: fc.constantFrom('x'.repeat(MAX_SYMLINK_BYTES), `${'é'.repeat(2047)}x`) },
    )
    .map((t) => truncateUtf8(t.replace(/[\u0000-\u001f\u007f]/g, '_'), MAX_SYMLINK_BYTES))
    .filter((t) => t.length > 0);
}
