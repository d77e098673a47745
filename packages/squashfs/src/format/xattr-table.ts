import {
  SQUASHFS_XATTR_PREFIXES,
  SQUASHFS_XATTR_ID_ENTRY_SIZE,
  SQUASHFS_XATTR_VALUE_OOL,
} from './constants.js';
import { LeReader, LeWriter } from './le.js';

const encoder = new TextEncoder();

/** Splits a full xattr name into its SquashFS prefix id (0 user, 1 trusted, 2 security) and the rest; undefined if unsupported. */
export function splitXattrName(name: string): { type: number; suffix: Uint8Array } | undefined {
  for (let type = 0; type < SQUASHFS_XATTR_PREFIXES.length; type++) {
    const prefix = SQUASHFS_XATTR_PREFIXES[type]!;
    if (name.startsWith(prefix) && name.length > prefix.length) return { type, suffix: encoder.encode(name.slice(prefix.length)) };
  }
  return undefined;
}

/** One key/value pair of the xattr kv table: {u16 type, u16 name_size, name}{u32 value_size, value}. */
export function encodeXattrPair(type: number, suffix: Uint8Array, value: Uint8Array): Uint8Array {
  return new LeWriter(8 + suffix.length + value.length)
    .u16(type, 'xattr type')
    .u16(suffix.length, 'xattr name size')
    .bytes(suffix)
    .u32(value.length, 'xattr value size')
    .bytes(value)
    .finish();
}

/** An xattr id entry {u64 kv ref, u32 count, u32 size}. */
export interface XattrIdEntry {
  ref: number;
  count: number;
  size: number;
}

export function encodeXattrIdEntries(entries: readonly XattrIdEntry[]): Uint8Array {
  const w = new LeWriter(entries.length * SQUASHFS_XATTR_ID_ENTRY_SIZE || 1);
  for (const e of entries) w.u64(e.ref, 'xattr ref').u32(e.count, 'xattr count').u32(e.size, 'xattr size');
  return w.finish();
}

export function decodeXattrIdEntries(bytes: Uint8Array, count: number): XattrIdEntry[] {
  const r = new LeReader(bytes);
  const out: XattrIdEntry[] = [];
  for (let i = 0; i < count; i++) out.push({ ref: r.u64n(), count: r.u32(), size: r.u32() });
  return out;
}

/** The xattr id table header {u64 kv_start, u32 count, u32 unused} followed by the u64 block index. */
export function encodeXattrIdTableHeader(kvStart: number, count: number, blockPositions: readonly number[]): Uint8Array {
  const w = new LeWriter(16 + blockPositions.length * 8).u64(kvStart, 'xattr_table_start').u32(count, 'xattr_ids').u32(0);
  for (const p of blockPositions) w.u64(p, 'xattr id index');
  return w.finish();
}

/**
 * Decodes the kv pairs of one xattr set from uncompressed kv bytes (for golden tests). Pairs
 * whose type has SQUASHFS_XATTR_VALUE_OOL keep the raw 8-byte reference as their value.
 */
export function decodeXattrPairs(bytes: Uint8Array, offset: number, count: number): { type: number; name: Uint8Array; value: Uint8Array }[] {
  const r = new LeReader(bytes, offset);
  const out: { type: number; name: Uint8Array; value: Uint8Array }[] = [];
  for (let i = 0; i < count; i++) {
    const type = r.u16();
    const name = r.take(r.u16());
    // For an out-of-line value (type bit 0x100) `value` is the 8-byte kv reference of the real value.
    const value = r.take(r.u32());
    out.push({ type, name, value });
  }
  return out;
}
