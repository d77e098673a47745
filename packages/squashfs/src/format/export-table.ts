import { SQUASHFS_EXPORT_ENTRY_SIZE } from './constants.js';
import { LeReader, LeWriter } from './le.js';

/** The export table: entry i-1 is the inode reference of inode number i (u64 each). */
export function encodeExportEntries(inodeRefs: ArrayLike<number>): Uint8Array {
  const w = new LeWriter(inodeRefs.length * SQUASHFS_EXPORT_ENTRY_SIZE || 1);
  for (let i = 0; i < inodeRefs.length; i++) w.u64(inodeRefs[i]!, 'export inode ref');
  return w.finish();
}

export function decodeExportEntries(bytes: Uint8Array, count: number): number[] {
  const r = new LeReader(bytes);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(r.u64n());
  return out;
}
