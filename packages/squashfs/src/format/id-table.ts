import { SQUASHFS_ID_ENTRY_SIZE } from './constants.js';
import { LeReader, LeWriter } from './le.js';

/** The id table: u32 uid/gid values; inodes refer to them by u16 index. */
export function encodeIdEntries(ids: readonly number[]): Uint8Array {
  const w = new LeWriter(ids.length * SQUASHFS_ID_ENTRY_SIZE || 1);
  for (const id of ids) w.u32(id, 'id');
  return w.finish();
}

export function decodeIdEntries(bytes: Uint8Array, count: number): number[] {
  const r = new LeReader(bytes);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(r.u32());
  return out;
}
