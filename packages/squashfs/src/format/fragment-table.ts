import { SQUASHFS_FRAGMENT_ENTRY_SIZE } from './constants.js';
import { LeReader, LeWriter } from './le.js';

/** A fragment table entry {u64 start, u32 size (bit 24 = uncompressed), u32 unused = 0}. */
export interface FragmentEntry {
  start: number;
  /** On-disk size, with bit 24 (0x1000000) set when the fragment block is stored uncompressed. */
  size: number;
}

export function encodeFragmentEntries(entries: readonly FragmentEntry[]): Uint8Array {
  const w = new LeWriter(entries.length * SQUASHFS_FRAGMENT_ENTRY_SIZE || 1);
  for (const e of entries) w.u64(e.start, 'fragment start').u32(e.size, 'fragment size').u32(0);
  return w.finish();
}

export function decodeFragmentEntries(bytes: Uint8Array, count: number): FragmentEntry[] {
  const r = new LeReader(bytes);
  const out: FragmentEntry[] = [];
  for (let i = 0; i < count; i++) {
    const start = r.u64n();
    const size = r.u32();
    r.u32();
    out.push({ start, size });
  }
  return out;
}
