import { SquashfsError } from '../errors.js';

const encoder = new TextEncoder();

/** Longest name SquashFS stores (SQUASHFS_NAME_LEN). */
export const MAX_NAME_BYTES = 256;
/** Longest symlink target the kernel accepts (PAGE_SIZE - 1 on 4 KiB pages). */
export const MAX_SYMLINK_BYTES = 4095;

/** Names up to this many UTF-16 units are copied by hand when they are ASCII (most names). */
const ASCII_FAST_PATH = 64;

/**
 * UTF-8 bytes of a name; names must be well-formed Unicode (no lone surrogates). A short ASCII
 * name is copied into a small array on the JS heap (TextEncoder gives every result a buffer of
 * its own outside it: several times the cost, for every entry of every directory).
 */
export function nameBytes(name: string): Uint8Array {
  const n = name.length;
  if (n > ASCII_FAST_PATH) return encoder.encode(name);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x80) return encoder.encode(name);
    out[i] = c;
  }
  return out;
}

/** True when `name` is longer than MAX_NAME_BYTES in UTF-8 (at most 3 bytes per UTF-16 unit: short names are not encoded). */
function tooLong(name: string): boolean {
  return name.length * 3 > MAX_NAME_BYTES && encoder.encode(name).length > MAX_NAME_BYTES;
}

/** Throws INVALID_NAME unless `name` can be a SquashFS directory entry. */
export function validateName(name: string, path: string): void {
  const why = nameProblem(name);
  if (why !== undefined) {
    throw new SquashfsError('INVALID_NAME', `invalid name ${JSON.stringify(name)} at ${JSON.stringify(path)}: ${why}`, { path });
  }
}

export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'empty name';
  if (name === '.' || name === '..') return 'reserved name';
  if (name.includes('/')) return 'contains "/"';
  if (name.includes('\0')) return 'contains NUL';
  if (!(name as unknown as { isWellFormed(): boolean }).isWellFormed()) return 'not valid Unicode (lone surrogate)';
  if (tooLong(name)) return `longer than ${MAX_NAME_BYTES} bytes in UTF-8`;
  return undefined;
}

/**
 * Splits a tree path ("usr/bin/kubectl", "/usr/bin/", "./usr") into validated components.
 * Leading "/" and "./" are ignored; empty components from repeated slashes are not allowed.
 */
export function splitPath(path: string): string[] {
  let p = path;
  while (p.startsWith('./')) p = p.slice(2);
  p = p.replace(/^\/+/, '').replace(/\/+$/, '');
  if (p === '' || p === '.') return [];
  const parts = p.split('/');
  for (const part of parts) validateName(part, path);
  return parts;
}

/**
 * Compares two names by raw UTF-8 bytes, the order SquashFS directories must use (strcmp), without
 * encoding them. UTF-8 byte order is code point order; UTF-16 code units have that order too,
 * except that a surrogate (half of a code point >= U+10000) sorts below U+E000..U+FFFF as a code
 * unit but above it as a code point. Lone surrogates (invalid names, refused by the writer) sort
 * as their code unit.
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xe000 && y >= 0xd800 && y < 0xe000) return -1;
    if (y >= 0xe000 && x >= 0xd800 && x < 0xe000) return 1;
    return x - y;
  }
  return a.length - b.length;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
