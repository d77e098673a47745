/**
 * Fuzz harness for the reader: seed images from the reference tools, a map of the fields worth
 * corrupting, mutations, and `exercise`, which drives every reader entry point over an image.
 * The only acceptable outcomes are success or a SquashfsError.
 */
import { join } from 'node:path';
import { writeFileSync, mkdirSync, symlinkSync, linkSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  SquashfsError,
  SquashfsImage,
  formatInspect,
  inspectImage,
  sourceFromBytes,
  verifyImage,
  type DirInode,
  type ReaderLimits,
  type VerifyReport,
} from '@sysext-bakery/squashfs';
import { gensquashfs, isRoot, mksquashfs, pseudoBytes, setXattr } from './images.js';

export const FUZZ_LIMITS: ReaderLimits = { maxReadFileBytes: 16 << 20, maxDirectoryEntries: 100_000, maxBlocksPerFile: 1 << 16 };

/** A small varied tree (a few KiB as an image with 4 KiB blocks). */
export function buildSmallTree(root: string): void {
  mkdirSync(join(root, 'd/e'), { recursive: true });
  mkdirSync(join(root, 'empty'));
  writeFileSync(join(root, 'small'), 'small file\n');
  writeFileSync(join(root, 'd/two-blocks'), pseudoBytes(4096 * 2 + 100, 7));
  writeFileSync(join(root, 'd/e/tail'), pseudoBytes(5000, 8));
  writeFileSync(join(root, 'zero'), new Uint8Array(4096 * 2));
  writeFileSync(join(root, 'empty-file'), '');
  for (let i = 0; i < 40; i++) writeFileSync(join(root, 'd', `n${String(i).padStart(3, '0')}`), i % 3 === 0 ? `v${i}` : '');
  linkSync(join(root, 'small'), join(root, 'd/hard'));
  symlinkSync('small', join(root, 'link'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  if (isRoot) execFileSync('mknod', [join(root, 'null'), 'c', '1', '3']);
  setXattr(join(root, 'small'), 'user.a', 'xattr value');
  setXattr(join(root, 'd'), 'user.b', 'v'.repeat(100));
}

export interface Seed {
  name: string;
  bytes: Uint8Array;
  /** Absolute offsets and widths of fields worth corrupting. */
  fields: { offset: number; width: 1 | 2 | 4 | 8; what: string }[];
}

const SUPERBLOCK_FIELDS: [number, 2 | 4 | 8, string][] = [
  [4, 4, 'inodes'],
  [12, 4, 'block_size'],
  [16, 4, 'fragments'],
  [20, 2, 'compression'],
  [22, 2, 'block_log'],
  [24, 2, 'flags'],
  [26, 2, 'no_ids'],
  [32, 8, 'root_inode'],
  [40, 8, 'bytes_used'],
  [48, 8, 'id_table_start'],
  [56, 8, 'xattr_id_table_start'],
  [64, 8, 'inode_table_start'],
  [72, 8, 'directory_table_start'],
  [80, 8, 'fragment_table_start'],
  [88, 8, 'lookup_table_start'],
];

/** Maps the corruptible fields of a valid image using the reader itself. */
export async function mapSeed(name: string, bytes: Uint8Array): Promise<Seed> {
  const fields: Seed['fields'] = SUPERBLOCK_FIELDS.map(([offset, width, what]) => ({ offset, width, what: `superblock.${what}` }));
  const img = await SquashfsImage.open(sourceFromBytes(bytes), { limits: FUZZ_LIMITS });
  const { layout, superblock: sb } = img;
  for (const t of [layout.ids, layout.fragments, layout.exports, layout.xattr?.ids]) {
    if (!t) continue;
    t.pointers.forEach((_, i) => fields.push({ offset: t.indexStart + 8 * i, width: 8, what: `${t.structure} index pointer` }));
    t.pointers.forEach((p) => fields.push({ offset: p, width: 2, what: `${t.structure} block header` }));
  }
  if (layout.xattr) {
    fields.push({ offset: layout.xattr.headerStart, width: 8, what: 'xattr kv start' });
    fields.push({ offset: layout.xattr.headerStart + 8, width: 4, what: 'xattr id count' });
  }
  // Metadata block headers of the inode and directory tables.
  const chain = async (start: number, end: number, what: string) => {
    const blocks: { pos: number; compressed: boolean }[] = [];
    for (let pos = start; pos < end; ) {
      const blk = await img.meta.block(pos, end, what === 'inode' ? 'inode table' : 'directory table');
      fields.push({ offset: pos, width: 2, what: `${what} metadata header` });
      blocks.push({ pos, compressed: blk.compressed });
      pos = blk.next;
    }
    return blocks;
  };
  const inodeBlocks = await chain(layout.inodeTable.start, layout.inodeTable.end, 'inode');
  const dirBlocks = await chain(layout.directoryTable.start, layout.directoryTable.end, 'directory');
  // Field-level positions are only meaningful when the metadata is stored uncompressed.
  const absolute = (blocks: typeof inodeBlocks, tableStart: number, block: number, offset: number) => {
    const b = blocks.find((x) => x.pos === tableStart + block);
    return b !== undefined && !b.compressed ? tableStart + block + 2 + offset : undefined;
  };
  for await (const st of img.walk()) {
    const at = absolute(inodeBlocks, sb.inodeTableStart, Math.floor(st.inodeRef / 65536), st.inodeRef % 65536);
    if (at !== undefined && at + 56 <= bytes.length) {
      for (const [o, w] of [[0, 2], [2, 2], [4, 2], [6, 2], [8, 4], [12, 4], [16, 4], [20, 4], [24, 4], [28, 4], [32, 4], [36, 4], [40, 4], [44, 4]] as const) {
        fields.push({ offset: at + o, width: w, what: `inode(${st.kind}) +${o}` });
      }
    }
    if (st.kind === 'dir') {
      const dir = (await img.inode(st.inodeRef)) as DirInode;
      const listing = await img.listing(dir);
      for (const h of listing.headers) {
        const hat = absolute(dirBlocks, sb.directoryTableStart, h.block, h.blockOffset);
        if (hat === undefined) continue;
        for (const [o, w] of [[0, 4], [4, 4], [8, 4], [12, 2], [14, 2], [16, 2], [18, 2]] as const) {
          fields.push({ offset: hat + o, width: w, what: `dir header +${o}` });
        }
      }
    }
  }
  return { name, bytes, fields: fields.filter((f) => f.offset + f.width <= bytes.length) };
}

export type Mutation =
  | { kind: 'flip'; flips: { at: number; bit: number }[] }
  | { kind: 'bytes'; writes: { at: number; value: number }[] }
  | { kind: 'truncate'; fraction: number }
  | { kind: 'field'; field: number; value: number; delta: number; mode: 'set' | 'add' };

export function describe(seed: Seed, m: Mutation): string {
  if (m.kind === 'field') {
    const f = seed.fields[m.field % seed.fields.length]!;
    return `${seed.name}: field ${f.what} @${f.offset} ${m.mode} ${m.mode === 'set' ? m.value : m.delta}`;
  }
  return `${seed.name}: ${JSON.stringify(m)}`;
}

function writeLE(b: Uint8Array, at: number, width: number, value: number): void {
  let v = BigInt.asUintN(width * 8, BigInt(Math.trunc(value)));
  for (let i = 0; i < width; i++) {
    b[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function readLE(b: Uint8Array, at: number, width: number): number {
  let v = 0n;
  for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]!);
  return Number(v);
}

export function applyMutation(seed: Seed, m: Mutation): Uint8Array {
  const out = seed.bytes.slice();
  const n = out.length;
  switch (m.kind) {
    case 'flip':
      for (const f of m.flips) out[f.at % n]! ^= 1 << f.bit;
      return out;
    case 'bytes':
      for (const w of m.writes) out[w.at % n] = w.value;
      return out;
    case 'truncate':
      return out.slice(0, Math.floor(n * m.fraction));
    case 'field': {
      const f = seed.fields[m.field % seed.fields.length]!;
      const value = m.mode === 'set' ? m.value : readLE(out, f.offset, f.width) + m.delta;
      writeLE(out, f.offset, f.width, value);
      return out;
    }
  }
}

export type Outcome = { ok: true } | { ok: false; error: SquashfsError };

/** Drives open/walk/stat/readdir/readFile/readlink/inspect over an image. */
export async function exercise(bytes: Uint8Array): Promise<Outcome> {
  try {
    const img = await SquashfsImage.open(sourceFromBytes(bytes), { limits: FUZZ_LIMITS });
    let n = 0;
    for await (const st of img.walk()) {
      if (++n > 100_000) throw new Error('walk does not end');
      if (st.kind === 'file') {
        const data = await img.readFile(st.path);
        if (data.length !== st.size) throw new Error(`readFile returned ${data.length} bytes for a ${st.size}-byte file`);
        let streamed = 0;
        for await (const chunk of img.createReadStream(st.path)) streamed += chunk.length;
        if (streamed !== st.size) throw new Error(`createReadStream returned ${streamed} bytes for a ${st.size}-byte file`);
      } else if (st.kind === 'symlink') await img.readlink(st.path);
      else if (st.kind === 'dir') await img.readdir(st.path);
    }
    formatInspect(await inspectImage(img));
    await img.close();
    return { ok: true };
  } catch (error) {
    if (error instanceof SquashfsError) return { ok: false, error };
    throw error;
  }
}

export async function verifySafely(bytes: Uint8Array): Promise<VerifyReport> {
  return verifyImage(sourceFromBytes(bytes), { limits: FUZZ_LIMITS });
}

/** Rejects with a clear message if `p` does not settle within `ms` (hang detection). */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`HANG: ${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const SEED_DIR = fileURLToPath(new URL('./seeds/', import.meta.url));

const SEED_SPECS: [string, (src: string, img: string) => void][] = [
  ['mksquashfs-gzip', (src, img) => mksquashfs(src, img, ['-comp', 'gzip', '-b', '4K', ...FIXED_TIMES])],
  ['mksquashfs-uncompressed', (src, img) => mksquashfs(src, img, ['-comp', 'gzip', '-b', '4K', '-noI', '-noD', '-noF', '-noX', ...FIXED_TIMES])],
  ['mksquashfs-zstd-noI-tailends', (src, img) => mksquashfs(src, img, ['-comp', 'zstd', '-b', '4K', '-noI', '-tailends', ...FIXED_TIMES])],
  ['gensquashfs-zstd', (src, img) => gensquashfs(src, img, ['-c', 'zstd', '-b', '4096', '-e', '-x'])],
];
const FIXED_TIMES = ['-mkfs-time', '0', '-all-time', '1000000000'];

/**
 * Writes the seed images into test/fuzz/seeds/ (run once, as root, with the reference tools;
 * the images are committed so that the fuzz cases and regressions are reproducible anywhere).
 */
export function writeSeedFiles(dir: string): void {
  const src = join(dir, 'src');
  buildSmallTree(src);
  mkdirSync(SEED_DIR, { recursive: true });
  for (const [name, make] of SEED_SPECS) make(src, join(SEED_DIR, `${name}.sqfs`));
}

/** Loads the committed seed images and maps their fields. */
export async function loadSeeds(): Promise<Seed[]> {
  const seeds: Seed[] = [];
  for (const [name] of SEED_SPECS) seeds.push(await mapSeed(name, new Uint8Array(readFileSync(join(SEED_DIR, `${name}.sqfs`)))));
  return seeds;
}
