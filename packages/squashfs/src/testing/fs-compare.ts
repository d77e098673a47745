import { createHash } from 'node:crypto';
import { createReadStream, type BigIntStats } from 'node:fs';
import { lstat, opendir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { compareNames } from '../tree/names.js';
import type { FsNodeKind } from '../tree/node.js';
import { contentDigest, type ExpectedEntry } from './expected.js';
import type { DiffCollector } from './report.js';
import { xattrIo } from './xattr-io.js';
import { FULL_COMPARE_LIMIT, expectedSamples, fileSamples, samplesEqual } from './samples.js';

/** What to compare when walking a real directory (an extraction or a mount) against the tree. */
export interface FsCompareOptions {
  owners: boolean;
  modes: boolean;
  /** Compare mtimes of directories / of everything else. */
  dirMtimes: boolean;
  mtimes: boolean;
  /** 'all' (mount), 'files' (an extraction: only non-directories), 'none'. */
  nlink: 'all' | 'nondirs' | 'none';
  /** Hard links share an inode number; distinct inodes have distinct numbers. */
  inodes: boolean;
  xattrs: boolean;
  /** Entry kinds the extractor does not create (their absence is not a difference). */
  absentKinds: ReadonlySet<FsNodeKind>;
  /** Directory entries must come back from readdir in UTF-8 byte order (a mount shows the on-disk order). */
  order: boolean;
  contents: boolean;
  /** Compare the root directory's own metadata. */
  rootMeta: boolean;
}

function kindOf(st: BigIntStats): FsNodeKind | 'unknown' {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isBlockDevice()) return 'blockdev';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'unknown';
}

async function fileDigest(path: string, expectedSize?: number): Promise<{ size: number; sha256: string }> {
  if (expectedSize !== undefined && expectedSize <= 1 << 20) {
    const data = await readFile(path);
    return { size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

function hex(v: Uint8Array): string {
  return v.length > 40 ? `${Buffer.from(v.subarray(0, 40)).toString('hex')}…(${v.length}B)` : Buffer.from(v).toString('hex');
}

/** Linux dev_t → major/minor (glibc encoding). */
export function splitDev(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

/** Walks `root` and records every difference from `expected` into `diff`. */
export async function compareDirectory(root: string, expected: readonly ExpectedEntry[], options: FsCompareOptions, diff: DiffCollector): Promise<void> {
  const xio = options.xattrs ? await xattrIo() : undefined;
  if (options.xattrs && xio === undefined && expected.some((e) => e.xattrs.size > 0)) {
    diff.add(undefined, 'cannot read xattrs here (no @napi-rs/xattr, no getfattr): xattrs not compared');
  }
  const inoOf = new Map<number, bigint>();
  const identityOfIno = new Map<bigint, number>();
  const byDir = new Map<string, Set<string>>();
  for (const e of expected) {
    if (e.path === '') continue;
    const slash = e.path.lastIndexOf('/');
    const parent = slash < 0 ? '' : e.path.slice(0, slash);
    const name = e.path.slice(slash + 1);
    let set = byDir.get(parent);
    if (set === undefined) byDir.set(parent, (set = new Set()));
    set.add(name);
  }

  for (const e of expected) {
    const path = e.path === '' ? root : join(root, e.path);
    let st: BigIntStats;
    try {
      st = await lstat(path, { bigint: true });
    } catch (error) {
      if (!options.absentKinds.has(e.kind)) diff.add(e.path, `missing (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      continue;
    }
    const kind = kindOf(st);
    if (kind !== e.kind) {
      diff.add(e.path, `type: expected ${e.kind}, got ${kind}`);
      continue;
    }
    const isRoot = e.path === '';
    const checkMeta = !isRoot || options.rootMeta;
    if (checkMeta && options.modes && e.kind !== 'symlink') diff.same(e.path, 'mode', `0${e.mode.toString(8)}`, `0${(Number(st.mode) & 0o7777).toString(8)}`);
    if (checkMeta && options.owners) {
      diff.same(e.path, 'uid', e.uid, Number(st.uid));
      diff.same(e.path, 'gid', e.gid, Number(st.gid));
    }
    if (checkMeta && (e.kind === 'dir' ? options.dirMtimes : options.mtimes)) diff.same(e.path, 'mtime', e.mtime, Number(st.mtimeMs / 1000n));
    if (options.nlink === 'all' || (options.nlink === 'nondirs' && e.kind !== 'dir')) diff.same(e.path, 'nlink', e.nlink, Number(st.nlink));
    if (options.inodes) {
      const seen = inoOf.get(e.identity);
      if (seen === undefined) {
        inoOf.set(e.identity, st.ino);
        const other = identityOfIno.get(st.ino);
        if (other !== undefined) {
          const otherPath = expected.find((x) => x.identity === other)?.path;
          diff.add(e.path, `inode number ${st.ino} is also the inode of ${JSON.stringify(otherPath)}, which is not a hard link to it`);
        } else identityOfIno.set(st.ino, e.identity);
      } else if (seen !== st.ino) {
        diff.add(e.path, `hard link to ${JSON.stringify(e.paths[0])} but inode ${st.ino} ≠ ${seen}`);
      }
    }
    if (e.kind === 'file') {
      if (e.size !== undefined) diff.same(e.path, 'size', e.size, Number(st.size));
      if (options.contents && e.size !== undefined && e.size > FULL_COMPARE_LIMIT && e.size === Number(st.size) && e.node.kind === 'file') {
        // Huge (typically sparse) files: compare 1 MiB at the start, middle and end.
        const [want, got] = await Promise.all([expectedSamples(e.node.content, e.size), fileSamples(path, e.size)]);
        if (!samplesEqual(want.samples, got)) diff.add(e.path, 'content differs (sampled start/middle/end)');
      } else if (options.contents && (e.size === undefined || e.size === Number(st.size)) && e.node.kind === 'file') {
        const [want, got] = await Promise.all([contentDigest(e.node.content), fileDigest(path, e.size)]);
        if (want.sha256 !== got.sha256) diff.add(e.path, `content differs (sha256 expected ${want.sha256.slice(0, 16)}…, got ${got.sha256.slice(0, 16)}…, ${got.size} bytes)`);
      }
    } else if (e.kind === 'symlink') {
      const target = await readlink(path);
      diff.same(e.path, 'symlink target', e.target, target);
      diff.same(e.path, 'symlink size', e.size, Number(st.size));
    } else if (e.kind === 'blockdev' || e.kind === 'chardev') {
      const { major, minor } = splitDev(st.rdev);
      diff.same(e.path, 'device', `${e.major}:${e.minor}`, `${major}:${minor}`);
    }
    if (options.xattrs && xio !== undefined && checkMeta) {
      let got: Map<string, Uint8Array>;
      try {
        got = await xio.list(path);
      } catch (error) {
        // A squashfs image without an xattr table answers listxattr with EOPNOTSUPP.
        if (!/not supported|ENOTSUP|EOPNOTSUPP|os error 95/i.test(String(error))) {
          diff.add(e.path, `cannot list xattrs: ${String(error)}`);
          continue;
        }
        got = new Map();
      }
      for (const [k, v] of e.xattrs) {
        const g = got.get(k);
        if (g === undefined) diff.add(e.path, `xattr ${k} missing`);
        else if (!sameBytes(v, g)) diff.add(e.path, `xattr ${k}: expected ${hex(v)}, got ${hex(g)}`);
      }
      for (const k of got.keys()) {
        if (!e.xattrs.has(k) && !k.startsWith('system.')) diff.add(e.path, `unexpected xattr ${k}`);
      }
    }
    if (e.kind === 'dir') {
      const names: string[] = [];
      const handle = await opendir(path);
      for await (const d of handle) names.push(d.name);
      const want = byDir.get(e.path) ?? new Set<string>();
      for (const n of names) if (!want.has(n)) diff.add(e.path, `unexpected entry ${JSON.stringify(n)}`);
      if (options.order) {
        for (let i = 1; i < names.length; i++) {
          if (compareNames(names[i - 1]!, names[i]!) >= 0) {
            diff.add(e.path, `readdir order: ${JSON.stringify(names[i - 1])} before ${JSON.stringify(names[i])} (not sorted by UTF-8 bytes)`);
            break;
          }
        }
      }
    }
  }
}
