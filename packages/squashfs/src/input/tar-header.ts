import { SquashfsError } from '../errors.js';

/** Tar blocks are 512 bytes; headers and data are padded to it. */
export const TAR_BLOCK = 512;

/** A raw 512-byte header, decoded but not yet merged with PAX/GNU long-name records. */
export interface RawTarHeader {
  name: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: Uint8Array;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** ustar / GNU / v7 (no magic). */
  format: 'ustar' | 'gnu' | 'v7';
  /** The whole block, for format-specific fields (GNU sparse maps). */
  block: Uint8Array;
}

const latin1 = new TextDecoder('latin1');
const lossyUtf8 = new TextDecoder('utf-8');

/** Bytes as UTF-8 text, invalid sequences replaced (names in messages). */
export function lossy(bytes: Uint8Array): string {
  return lossyUtf8.decode(bytes);
}

/** A name for messages, or a function that makes it when one is needed (not for every header). */
export type Named = string | (() => string);

export function nameOf(named: Named): string {
  return typeof named === 'string' ? named : named();
}

/** Thrown for malformed archives; `offset` is the position in the (decompressed) tar stream. */
export function tarCorrupt(what: string, why: string, offset: number): SquashfsError {
  return new SquashfsError('INVALID_ARGUMENT', `corrupt tar archive ${what}: ${why} (at byte ${offset})`, { offset, structure: 'tar header' });
}

/** End of a NUL-terminated field: the offset of its first NUL, or its end. */
function fieldEnd(block: Uint8Array, offset: number, length: number): number {
  const end = offset + length;
  for (let i = offset; i < end; i++) if (block[i] === 0) return i;
  return end;
}

/** Bytes of a NUL-terminated field. */
export function cString(block: Uint8Array, offset: number, length: number): Uint8Array {
  return block.subarray(offset, fieldEnd(block, offset, length));
}

/** A NUL-terminated field as Latin-1 text (one character per byte), '' when empty. */
function latin1Field(block: Uint8Array, offset: number, length: number): string {
  const end = fieldEnd(block, offset, length);
  return end === offset ? '' : latin1.decode(block.subarray(offset, end));
}

/**
 * A numeric field: octal ASCII (leading spaces/NULs allowed, ended by space or NUL), or GNU
 * base-256 (first byte 0x80 positive, 0xff negative). Returns undefined for an all-empty field.
 */
export function parseNumeric(block: Uint8Array, offset: number, length: number): number | undefined {
  // Indexes into the block, no view of the field: 9 numeric fields per header, 25,000 headers.
  const end = offset + length;
  const first = block[offset];
  if (first === 0x80 || first === 0xff) {
    const negative = first === 0xff;
    let value = 0n;
    for (let i = offset + 1; i < end; i++) value = (value << 8n) | BigInt(negative ? block[i]! ^ 0xff : block[i]!);
    if (negative) value = -(value + 1n);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) return Number.NaN;
    return Number(value);
  }
  let i = offset;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  if (i === end) return undefined;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = block[i]!;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) return Number.NaN;
    value = value * 8 + (c - 0x30);
    digits++;
  }
  for (; i < end; i++) if (block[i] !== 0x20 && block[i] !== 0) return Number.NaN;
  return digits === 0 ? undefined : value;
}

/** The header's format from its magic (bytes 257-262): "ustar" then NUL (POSIX ustar) or a space (GNU). */
function formatOf(block: Uint8Array): RawTarHeader['format'] {
  // u s t a r
  if (block[257] !== 0x75 || block[258] !== 0x73 || block[259] !== 0x74 || block[260] !== 0x61 || block[261] !== 0x72) return 'v7';
  return block[262] === 0 ? 'ustar' : block[262] === 0x20 ? 'gnu' : 'v7';
}

export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Checks the header checksum (unsigned sum, or the historic signed sum) and decodes the fields. */
export function parseHeader(block: Uint8Array, offset: number): RawTarHeader {
  const stored = parseNumeric(block, 148, 8);
  // The checksum field counts as 8 spaces; the signed sum is the unsigned one less 256 for each
  // byte above 127.
  let unsigned = 8 * 0x20;
  let high = 0;
  for (let i = 0; i < 148; i++) {
    const b = block[i]!;
    unsigned += b;
    high += b >>> 7;
  }
  for (let i = 156; i < TAR_BLOCK; i++) {
    const b = block[i]!;
    unsigned += b;
    high += b >>> 7;
  }
  const signed = unsigned - 256 * high;
  // The member's name for messages (UTF-8, invalid bytes replaced), made only for one.
  const where = (): string => `header of ${JSON.stringify(lossy(cString(block, 0, 100)))}`;
  if (stored === undefined || Number.isNaN(stored) || (stored !== unsigned && stored !== signed)) {
    throw tarCorrupt(where(), `checksum mismatch (stored ${stored ?? 'nothing'}, computed ${unsigned})`, offset);
  }
  const format = formatOf(block);
  const field = (name: string, at: number, len: number, required: boolean): number => {
    const v = parseNumeric(block, at, len);
    if (v === undefined) {
      if (required) throw tarCorrupt(where(), `empty ${name} field`, offset);
      return 0;
    }
    if (Number.isNaN(v)) throw tarCorrupt(where(), `invalid ${name} field`, offset);
    return v;
  };
  const size = field('size', 124, 12, true);
  if (size < 0) throw tarCorrupt(where(), `negative size ${size}`, offset);
  let name = cString(block, 0, 100);
  if (format === 'ustar') {
    const prefix = cString(block, 345, 155);
    if (prefix.length > 0) {
      const joined = new Uint8Array(prefix.length + 1 + name.length);
      joined.set(prefix);
      joined[prefix.length] = 0x2f;
      joined.set(name, prefix.length + 1);
      name = joined;
    }
  }
  const typeByte = block[156]!;
  return {
    name,
    mode: field('mode', 100, 8, false),
    uid: field('uid', 108, 8, false),
    gid: field('gid', 116, 8, false),
    size,
    mtime: field('mtime', 136, 12, false),
    typeflag: typeByte === 0 ? '0' : String.fromCharCode(typeByte),
    linkname: cString(block, 157, 100),
    uname: format === 'v7' ? '' : latin1Field(block, 265, 32),
    gname: format === 'v7' ? '' : latin1Field(block, 297, 32),
    devmajor: format === 'v7' ? 0 : field('devmajor', 329, 8, false),
    devminor: format === 'v7' ? 0 : field('devminor', 337, 8, false),
    format,
    block,
  };
}

/** Padding after `size` bytes of member data. */
export function padding(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}
