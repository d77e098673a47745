import { type Named, nameOf, tarCorrupt } from './tar-header.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a PAX extended header ("LEN KEY=VALUE\n" records). Values stay bytes, since
 * SCHILY.xattr.* values are binary; keys are UTF-8. A later record for the same key wins.
 */
export function parsePax(data: Uint8Array, offset: number, header: Named): Map<string, Uint8Array> {
  const what = (): string => nameOf(header);
  const records = new Map<string, Uint8Array>();
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break; // some writers pad the record area with NULs
    let len = 0;
    let i = at;
    while (i < data.length && data[i]! >= 0x30 && data[i]! <= 0x39) len = len * 10 + (data[i++]! - 0x30);
    if (i === at || data[i] !== 0x20 || len <= i - at + 1 || at + len > data.length || data[at + len - 1] !== 0x0a) {
      throw tarCorrupt(what(), `malformed PAX record at record byte ${at}`, offset);
    }
    const record = data.subarray(i + 1, at + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw tarCorrupt(what(), `PAX record without "=" at record byte ${at}`, offset);
    let key: string;
    try {
      key = utf8.decode(record.subarray(0, eq));
    } catch {
      throw tarCorrupt(what(), `PAX key is not UTF-8 at record byte ${at}`, offset);
    }
    records.set(key, record.slice(eq + 1));
    at += len;
  }
  return records;
}

/** A PAX decimal time ("1700000000.123456789", may be negative): whole seconds, floored. */
export function parsePaxTime(value: string): number | undefined {
  if (!/^-?[0-9]+(\.[0-9]*)?$/.test(value)) return undefined;
  const [whole, frac] = value.split('.');
  let seconds = Number(whole);
  if (seconds < 0 || Object.is(seconds, -0)) {
    if (frac !== undefined && /[1-9]/.test(frac)) seconds -= 1;
  }
  return seconds;
}

/** A PAX non-negative decimal integer. */
export function parsePaxInt(value: string): number | undefined {
  if (!/^[0-9]+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Decodes the percent-encoding libarchive applies to xattr names in LIBARCHIVE.xattr.* keys. */
export function decodeLibarchiveName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** Strict base64 decoding (padding optional) without Node's Buffer. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const clean = text.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const c of clean) {
    value = (value << 6) | alphabet.indexOf(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  return out;
}
