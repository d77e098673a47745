import { hex } from './bytes.js';
import { modeString, type EntryKind } from './entry.js';
import type { SquashfsImage } from './image.js';
import type { SuperblockFlags } from './superblock.js';

export interface InspectEntry {
  path: string;
  kind: EntryKind;
  mode: number;
  modeString: string;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  nlink: number;
  inodeNumber: number;
  inodeType: number;
  target?: string;
  major?: number;
  minor?: number;
  /** xattr values: UTF-8 text when printable, else "0x" + hex. */
  xattrs?: Record<string, string>;
  fragment?: { index: number; offset: number };
  blocks?: number;
}

/** A JSON-able description of an image: superblock, table positions and the full tree. */
export interface InspectReport {
  superblock: {
    inodes: number;
    mkfsTime: number;
    blockSize: number;
    fragments: number;
    compression: string;
    compressionId: number;
    flags: number;
    decodedFlags: SuperblockFlags;
    compressorOptions?: Record<string, number>;
    noIds: number;
    xattrIds: number;
    version: string;
    rootInode: number;
    bytesUsed: number;
    imageSize: number;
  };
  tables: {
    inodeTable: number;
    directoryTable: number;
    fragmentTable: number | null;
    exportTable: number | null;
    idTable: number;
    xattrIdTable: number | null;
  };
  ids: number[];
  entries: InspectEntry[];
}

function printable(v: Uint8Array): string {
  for (const c of v) if (c < 0x20 || c > 0x7e) return `0x${hex(v)}`;
  return new TextDecoder().decode(v);
}

export async function inspectImage(image: SquashfsImage): Promise<InspectReport> {
  const sb = image.superblock;
  const entries: InspectEntry[] = [];
  for await (const st of image.walk()) {
    const e: InspectEntry = {
      path: st.path,
      kind: st.kind,
      mode: st.mode,
      modeString: modeString(st.kind, st.mode),
      uid: st.uid,
      gid: st.gid,
      size: st.size,
      mtime: st.mtime,
      nlink: st.nlink,
      inodeNumber: st.inodeNumber,
      inodeType: st.inodeType,
    };
    if (st.target !== undefined) e.target = st.target;
    if (st.major !== undefined) e.major = st.major;
    if (st.minor !== undefined) e.minor = st.minor;
    if (st.xattrs.size > 0) e.xattrs = Object.fromEntries([...st.xattrs].map(([k, v]) => [k, printable(v)]));
    if (st.fragment !== undefined) e.fragment = st.fragment;
    if (st.blocks !== undefined) e.blocks = st.blocks.length;
    entries.push(e);
  }
  return {
    superblock: {
      inodes: sb.inodes,
      mkfsTime: sb.mkfsTime,
      blockSize: sb.blockSize,
      fragments: sb.fragments,
      compression: sb.compressionName,
      compressionId: sb.compression,
      flags: sb.flags,
      decodedFlags: sb.decodedFlags,
      ...(sb.compressorOptions === undefined ? {} : { compressorOptions: sb.compressorOptions }),
      noIds: sb.noIds,
      xattrIds: image.layout.xattr?.ids.count ?? 0,
      version: `${sb.versionMajor}.${sb.versionMinor}`,
      rootInode: sb.rootInode,
      bytesUsed: sb.bytesUsed,
      imageSize: image.source.size,
    },
    tables: {
      inodeTable: sb.inodeTableStart,
      directoryTable: sb.directoryTableStart,
      fragmentTable: sb.fragmentTableStart,
      exportTable: sb.lookupTableStart,
      idTable: sb.idTableStart,
      xattrIdTable: sb.xattrIdTableStart,
    },
    ids: [...image.ids],
    entries,
  };
}

function utcStamp(seconds: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime(3) format in UTC: "Thu Nov  6 04:34:32 2026". */
function ctimeUtc(seconds: number): string {
  const d = new Date(seconds * 1000);
  const hms = d.toISOString().slice(11, 19);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${hms} ${d.getUTCFullYear()}`;
}

const OPTION_NAMES: Record<string, string> = {
  level: 'compression-level',
  windowSize: 'window-size',
  strategies: 'strategies',
  dictionarySize: 'dictionary-size',
  filters: 'filters',
  version: 'version',
  flags: 'flags',
  algorithm: 'algorithm',
};

/**
 * Text in the style of `unsquashfs -s` followed by `unsquashfs -lln -d ''` (times in UTC, device
 * numbers decoded as the kernel does; unsquashfs 4.5 prints rdev >> 8 / rdev & 0xff instead).
 */
export function formatInspect(report: InspectReport): string {
  const s = report.superblock;
  const f = s.decodedFlags;
  const lines = [
    'Found a valid SQUASHFS 4:0 superblock.',
    `Creation or last append time ${ctimeUtc(s.mkfsTime)}`,
    `Filesystem size ${s.bytesUsed} bytes (${(s.bytesUsed / 1024).toFixed(2)} Kbytes / ${(s.bytesUsed / 1048576).toFixed(2)} Mbytes)`,
    `Compression ${s.compression}`,
  ];
  if (s.compressorOptions !== undefined) {
    for (const [k, v] of Object.entries(s.compressorOptions)) lines.push(`\t${OPTION_NAMES[k] ?? k} ${v}`);
  }
  lines.push(
    `Block size ${s.blockSize}`,
    `Filesystem is ${f.exportable ? 'exportable' : 'not exportable'} via NFS`,
    `Inodes are ${f.uncompressedInodes ? 'uncompressed' : 'compressed'}`,
    `Data is ${f.uncompressedData ? 'uncompressed' : 'compressed'}`,
    // unsquashfs: the id table is uncompressed with NOI as well as with NOID
    `Uids/Gids (Id table) are ${f.uncompressedIds || f.uncompressedInodes ? 'uncompressed' : 'compressed'}`,
    `Fragments are ${f.noFragments ? 'not stored' : f.uncompressedFragments ? 'uncompressed' : 'compressed'}`,
  );
  if (!f.noFragments) lines.push(`Always-use-fragments option is ${f.alwaysFragments ? '' : 'not '}specified`);
  lines.push(
    `Xattrs are ${f.noXattrs ? 'not stored' : f.uncompressedXattrs ? 'uncompressed' : 'compressed'}`,
    `Duplicates are ${f.duplicates ? '' : 'not '}removed`,
    `Number of fragments ${s.fragments}`,
    `Number of inodes ${s.inodes}`,
    `Number of ids ${s.noIds}`,
  );
  if (!f.noXattrs) lines.push(`Number of xattr ids ${s.xattrIds}`);
  lines.push('');
  for (const e of report.entries) {
    const owner = `${e.uid}/${e.gid}`;
    const size = e.kind === 'blockdev' || e.kind === 'chardev' ? `${e.major},${String(e.minor).padStart(3)}` : String(e.size);
    const path = e.path === '' ? '' : `/${e.path}`;
    lines.push(`${e.modeString} ${owner}${size.padStart(Math.max(1, 27 - owner.length))} ${utcStamp(e.mtime)} ${path}${e.target !== undefined ? ` -> ${e.target}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
