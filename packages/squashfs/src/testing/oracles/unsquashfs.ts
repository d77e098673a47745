import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { compareDirectory } from '../fs-compare.js';
import { describeRun, run, which } from '../exec.js';
import { KIND_LETTER, modeString, type ExpectedEntry } from '../expected.js';
import { parseLln, parsePseudoFile, resolveSymlinkLine } from '../listing.js';
import { DiffCollector, type OracleResult } from '../report.js';
import type { FsNodeKind } from '../../tree/node.js';
import { totalFileBytes, unavailable, type OracleContext } from './context.js';

const PF_TYPE: Record<FsNodeKind, string> = { dir: 'D', file: 'R', symlink: 'S', blockdev: 'B', chardev: 'C', fifo: 'I', socket: 'I' };

/**
 * unsquashfs 4.5.1 prints device numbers from the on-disk word as major = word >> 8, minor =
 * word & 0xff, which is only right for minors below 256. Accept that form as well as the true one.
 */
function deviceMatches(e: ExpectedEntry, major: number | undefined, minor: number | undefined): boolean {
  if (major === e.major && minor === e.minor) return true;
  const word = ((e.major! & 0xfff) << 8) | (e.minor! & 0xff) | ((e.minor! & ~0xff) << 12);
  // It also does the shift on a signed int (minor >= 2^19 shows a negative major).
  return (major === word >>> 8 || major === (word | 0) >> 8) && minor === (word & 0xff);
}

function minuteUtc(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

/** Compares `unsquashfs -lln` (listing, in on-disk order) with the tree. */
async function checkListing(tool: string, ctx: OracleContext, diff: DiffCollector): Promise<void> {
  const args = ['-lln', '-UTC', ctx.imagePath];
  const r = await run(tool, args);
  if (r.code !== 0) {
    diff.add(undefined, describeRun('unsquashfs', args, r));
    if (r.stdout.length === 0) return;
  }
  const known = new Set(ctx.expected.map((e) => e.path));
  const byPath = new Map(ctx.expected.map((e) => [e.path, e] as const));
  const lines = parseLln(r.stdout.toString('utf8'));
  const order: string[] = [];
  for (const l of lines) {
    let path = l.path;
    let target: string | undefined;
    if (l.type === 'l') {
      const split = resolveSymlinkLine(l.path, (p) => known.has(p));
      if (split === undefined) {
        diff.add(undefined, `-lln: cannot place symlink line ${JSON.stringify(l.path)}`);
        continue;
      }
      path = split.path;
      target = split.target;
    }
    order.push(path);
    const e = byPath.get(path);
    if (e === undefined) {
      diff.add(path, '-lln: unexpected entry');
      continue;
    }
    diff.same(path, '-lln type', KIND_LETTER[e.kind], l.type);
    if (e.kind !== 'symlink') diff.same(path, '-lln mode', modeString(e.mode), l.perms);
    diff.same(path, '-lln uid', e.uid, l.uid);
    diff.same(path, '-lln gid', e.gid, l.gid);
    diff.same(path, '-lln mtime', minuteUtc(e.mtime), l.time);
    if ((e.kind === 'file' && e.size !== undefined) || e.kind === 'symlink') diff.same(path, '-lln size', e.size, l.size);
    if (e.kind === 'fifo' || e.kind === 'socket') diff.same(path, '-lln size', 0, l.size);
    if ((e.kind === 'blockdev' || e.kind === 'chardev') && !deviceMatches(e, l.major, l.minor)) diff.add(path, `-lln device: expected ${e.major},${e.minor}, got ${l.major},${l.minor}`);
    if (e.kind === 'symlink') diff.same(path, '-lln symlink target', e.target, target);
  }
  const want = ctx.expected.map((e) => e.path);
  const seen = new Set(order);
  for (const p of want) if (!seen.has(p)) diff.add(p, '-lln: missing');
  if (order.length === want.length && order.some((p, i) => p !== want[i])) {
    const i = order.findIndex((p, k) => p !== want[k]);
    diff.add(order[i], `-lln order: listed ${JSON.stringify(order[i])} where ${JSON.stringify(want[i])} was expected (directory entries not in UTF-8 byte order?)`);
  }
}

/** Compares `unsquashfs -pf` (exact mtimes, modes, ids, hard links, devices) with the tree. */
async function checkPseudoFile(tool: string, ctx: OracleContext, diff: DiffCollector): Promise<void> {
  const pf = join(ctx.workDir, 'unsquashfs.pf');
  const args = ['-no-progress', '-pf', pf, ctx.imagePath];
  const r = await run(tool, args);
  if (r.code !== 0) diff.add(undefined, describeRun('unsquashfs', args, r));
  let text: string;
  try {
    const buf = await readFile(pf);
    const end = buf.indexOf('\n#');
    text = buf.subarray(0, end < 0 ? buf.length : end + 1).toString('utf8');
  } catch {
    return;
  } finally {
    await rm(pf, { force: true });
  }
  const byPath = new Map(ctx.expected.map((e) => [e.path, e] as const));
  for (const p of parsePseudoFile(text)) {
    const e: ExpectedEntry | undefined = byPath.get(p.path);
    if (e === undefined) {
      diff.add(p.path, '-pf: unexpected entry');
      continue;
    }
    const first = e.paths[0]!;
    if (p.type === 'L') {
      if (first === e.path) diff.add(e.path, `-pf: listed as a hard link to ${JSON.stringify(p.target)} but it is not a hard link`);
      else diff.same(e.path, '-pf hard link target', first, p.target);
      continue;
    }
    if (first !== e.path) {
      diff.add(e.path, `-pf: expected a hard link to ${JSON.stringify(first)}, got a separate ${p.type} entry`);
      continue;
    }
    diff.same(e.path, '-pf type', PF_TYPE[e.kind], p.type);
    diff.same(e.path, '-pf mtime', e.mtime, p.mtime);
    if (e.kind !== 'symlink') diff.same(e.path, '-pf mode', `0${e.mode.toString(8)}`, `0${(p.mode ?? -1).toString(8)}`);
    diff.same(e.path, '-pf uid', e.uid, p.uid);
    diff.same(e.path, '-pf gid', e.gid, p.gid);
    if (e.kind === 'file' && e.size !== undefined) diff.same(e.path, '-pf size', e.size, p.size);
    if (e.kind === 'symlink') diff.same(e.path, '-pf symlink target', e.target, p.target);
    if ((e.kind === 'blockdev' || e.kind === 'chardev') && !deviceMatches(e, p.major, p.minor)) diff.add(e.path, `-pf device: expected ${e.major}:${e.minor}, got ${p.major}:${p.minor}`);
    if (e.kind === 'fifo' || e.kind === 'socket') diff.same(e.path, '-pf ipc type', e.kind === 'fifo' ? 'f' : 's', p.ipcType);
  }
}

/** Extracts with `unsquashfs -d` and compares the files on disk with the tree. */
async function checkExtraction(tool: string, ctx: OracleContext, diff: DiffCollector): Promise<void> {
  const dest = join(ctx.workDir, 'unsquashfs-root');
  const args = ['-no-progress', '-d', dest, ctx.imagePath];
  if (ctx.expect.xattrs === false) args.unshift('-no-xattrs');
  const r = await run(tool, args);
  if (r.code !== 0) diff.add(undefined, describeRun('unsquashfs', args, r));
  try {
    await compareDirectory(
      dest,
      ctx.expected,
      {
        owners: ctx.root,
        modes: true,
        dirMtimes: true,
        mtimes: true,
        nlink: 'nondirs',
        inodes: true,
        xattrs: ctx.expect.xattrs !== false && ctx.root,
        absentKinds: new Set<FsNodeKind>(ctx.root ? [] : ['blockdev', 'chardev']),
        order: false,
        contents: true,
        rootMeta: true,
      },
      diff,
    );
  } finally {
    await rm(dest, { recursive: true, force: true });
  }
}

/** squashfs-tools' unsquashfs: `-lln` listing, `-pf` pseudo file, and a full extraction. */
export async function unsquashfsOracle(ctx: OracleContext): Promise<OracleResult> {
  const tool = await which('unsquashfs');
  if (tool === undefined) return unavailable('unsquashfs', 'unsquashfs is not on PATH');
  const diff = new DiffCollector('unsquashfs');
  await checkListing(tool, ctx, diff);
  // -pf copies every data byte into the pseudo file: skip it for huge (sparse) trees.
  if (totalFileBytes(ctx.expected) <= 256 * 1024 * 1024) await checkPseudoFile(tool, ctx, diff);
  await checkExtraction(tool, ctx, diff);
  return diff.result();
}
