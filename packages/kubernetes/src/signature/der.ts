// Just enough DER to read the X.509 extensions node:crypto does not expose (Fulcio's OIDC
// issuer, the exact SubjectAltName entries). Every read is bounds-checked; malformed input throws.

/** One DER element: its tag, and where its content lies in the buffer. */
export interface DerElement {
  tag: number;
  start: number;
  end: number;
}

export class DerError extends Error {}

export function readElement(buf: Uint8Array, offset: number, limit = buf.length): DerElement {
  if (offset + 2 > limit) throw new DerError('truncated DER element');
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let len = buf[offset + 1] as number;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new DerError('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[start + i] as number);
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DerError('DER element runs past its parent');
  return { tag, start, end };
}

/** The elements directly inside a constructed element. */
export function children(buf: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const el = readElement(buf, at, parent.end);
    out.push(el);
    at = el.end;
  }
  return out;
}

export function decodeOid(bytes: Uint8Array): string {
  const parts: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}

/** The extensions of a DER certificate, by OID (the raw `extnValue` octets). */
export function certificateExtensions(der: Uint8Array): Map<string, Uint8Array> {
  const cert = readElement(der, 0);
  const tbs = children(der, cert)[0];
  if (tbs === undefined || tbs.tag !== 0x30) throw new DerError('not an X.509 certificate');
  const out = new Map<string, Uint8Array>();
  const wrapper = children(der, tbs).find((e) => e.tag === 0xa3);
  if (wrapper === undefined) return out;
  const list = children(der, wrapper)[0];
  if (list === undefined) return out;
  for (const ext of children(der, list)) {
    const parts = children(der, ext);
    const oid = parts[0];
    const value = parts[parts.length - 1];
    if (oid?.tag !== 0x06 || value?.tag !== 0x04) throw new DerError('malformed extension');
    out.set(decodeOid(der.subarray(oid.start, oid.end)), der.subarray(value.start, value.end));
  }
  return out;
}

/** rfc822Name and URI entries of a SubjectAltName extension value. */
export function subjectAltNames(value: Uint8Array): string[] {
  const seq = readElement(value, 0);
  if (seq.tag !== 0x30 || seq.end !== value.length) throw new DerError('malformed SubjectAltName');
  const names: string[] = [];
  for (const name of children(value, seq)) {
    if (name.tag === 0x81 || name.tag === 0x86) names.push(Buffer.from(value.subarray(name.start, name.end)).toString('utf8'));
  }
  return names;
}

/**
 * A Fulcio string extension. 1.3.6.1.4.1.57264.1.1 holds the raw bytes of the string;
 * 1.3.6.1.4.1.57264.1.8 and later hold a DER UTF8String. Accept both forms.
 */
export function fulcioString(value: Uint8Array): string {
  if (value.length >= 2 && value[0] === 0x0c) {
    try {
      const el = readElement(value, 0);
      if (el.end === value.length) return Buffer.from(value.subarray(el.start, el.end)).toString('utf8');
    } catch {
      // not DER: raw bytes
    }
  }
  return Buffer.from(value).toString('utf8');
}

/** The key purpose OIDs of an ExtendedKeyUsage extension value. */
export function extendedKeyUsages(value: Uint8Array): string[] {
  const seq = readElement(value, 0);
  if (seq.tag !== 0x30 || seq.end !== value.length) throw new DerError('malformed ExtendedKeyUsage');
  return children(value, seq).map((oid) => {
    if (oid.tag !== 0x06) throw new DerError('malformed ExtendedKeyUsage');
    return decodeOid(value.subarray(oid.start, oid.end));
  });
}
