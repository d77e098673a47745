import { corrupt } from './corrupt.js';
import { u16, u32, u64, utf8 } from './bytes.js';
import { MetaCursor, type MetadataReader } from './metadata.js';
import type { Layout } from './tables.js';

const PREFIXES = ['user.', 'trusted.', 'security.'];
const OUT_OF_LINE = 0x100;

export interface XattrIdEntry {
  ref: number;
  count: number;
  size: number;
}

/** Reads the xattr id entry `index` and its key/value pairs. */
export async function readXattrs(
  meta: MetadataReader,
  table: NonNullable<Layout['xattr']>,
  index: number,
  limits: { maxXattrValueBytes: number; maxXattrBytesPerInode: number },
): Promise<{ entry: XattrIdEntry; values: Map<string, Uint8Array> }> {
  const e = await table.ids.entry(index);
  const entry: XattrIdEntry = { ref: u64(e, 0), count: u32(e, 8), size: u32(e, 12) };
  const at = table.ids.pointers[Math.floor((index * 16) / 8192)]!;
  if (!Number.isSafeInteger(entry.ref)) throw corrupt('xattr table', at, `xattr id ${index}: reference beyond 2^53`);
  const cursorAt = (ref: number) =>
    new MetaCursor(meta, 'xattr table', table.kvStart, table.kvEnd, Math.floor(ref / 65536), ref % 65536);
  const cur = cursorAt(entry.ref);
  const values = new Map<string, Uint8Array>();
  const maxValueBytes = limits.maxXattrValueBytes;
  let total = 0;
  for (let i = 0; i < entry.count; i++) {
    const where = table.kvStart + cur.block;
    const bad = (m: string) => corrupt('xattr table', where, `xattr id ${index}, pair ${i}: ${m}`);
    const k = await cur.read(4);
    const type = u16(k, 0);
    const nameSize = u16(k, 2);
    const prefix = PREFIXES[type & 0xff];
    if (prefix === undefined || (type & ~(0xff | OUT_OF_LINE)) !== 0) throw bad(`unknown key type 0x${type.toString(16)}`);
    const name = prefix + utf8(await cur.read(nameSize));
    const valueSize = u32(await cur.read(4), 0);
    let value: Uint8Array;
    if ((type & OUT_OF_LINE) !== 0) {
      if (valueSize !== 8) throw bad(`out-of-line value reference of ${valueSize} bytes`);
      const ref = u64(await cur.read(8), 0);
      if (!Number.isSafeInteger(ref)) throw bad('out-of-line reference beyond 2^53');
      const vcur = cursorAt(ref);
      const size = u32(await vcur.read(4), 0);
      if (size > maxValueBytes) throw bad(`value of ${size} bytes (limit ${maxValueBytes})`);
      value = (await vcur.read(size)).slice();
    } else {
      if (valueSize > maxValueBytes) throw bad(`value of ${valueSize} bytes (limit ${maxValueBytes})`);
      value = (await cur.read(valueSize)).slice();
    }
    total += nameSize + value.length;
    // Out-of-line values let a small table describe huge xattr sets: bound the total.
    if (total > limits.maxXattrBytesPerInode) throw bad(`xattrs of one inode exceed ${limits.maxXattrBytesPerInode} bytes`);
    values.set(name, value);
  }
  return { entry, values };
}
