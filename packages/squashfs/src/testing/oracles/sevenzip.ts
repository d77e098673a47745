import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeRun, run, which } from '../exec.js';
import { KIND_LETTER, contentDigest, modeString } from '../expected.js';
import { DiffCollector, type OracleResult } from '../report.js';
import { totalFileBytes, unavailable, type OracleContext } from './context.js';

/** One record of `7zz l -slt`. */
export interface SevenZipEntry {
  path: string;
  folder: boolean;
  size?: number;
  modified?: string;
  mode?: string;
  uid?: number;
  gid?: number;
}

/** Parses the per-file records of `7zz l -slt` (after the "----------" line). */
export function parseSevenZipSlt(text: string): SevenZipEntry[] {
  const start = text.indexOf('\n----------\n');
  if (start < 0) return [];
  const out: SevenZipEntry[] = [];
  for (const block of text.slice(start + 12).split(/\n\n+/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const eq = line.indexOf(' = ');
      if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 3));
      else if (line.endsWith(' =')) fields.set(line.slice(0, -2), '');
    }
    const path = fields.get('Path');
    if (path === undefined) continue;
    const e: SevenZipEntry = { path, folder: fields.get('Folder') === '+' };
    const size = fields.get('Size');
    if (size !== undefined && size !== '') e.size = Number(size);
    const modified = fields.get('Modified');
    if (modified !== undefined) e.modified = modified;
    const mode = fields.get('Mode');
    if (mode !== undefined) e.mode = mode;
    const uid = fields.get('User ID');
    if (uid !== undefined && uid !== '') e.uid = Number(uid);
    const gid = fields.get('Group ID');
    if (gid !== undefined && gid !== '') e.gid = Number(gid);
    out.push(e);
  }
  return out;
}

function secondUtc(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

async function digestFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/** 7-Zip: list (`l -slt`: paths, types, modes, sizes, ids, times) and extract (`x`: file contents, symlinks). */
export async function sevenZipOracle(ctx: OracleContext): Promise<OracleResult> {
  const tool = (await which('7zz')) ?? (await which('7z'));
  if (tool === undefined) return unavailable('7zz', '7zz is not on PATH');
  const diff = new DiffCollector('7zz');
  const listArgs = ['l', '-slt', ctx.imagePath];
  // 7-Zip cannot open a SquashFS image whose root directory is empty: it says "Cannot open the
  // file as archive", or opens a zstd metadata block inside it as a raw .zst stream instead.
  if (ctx.expected.length === 1) return unavailable('7zz', '7-Zip cannot open SquashFS images with an empty root directory');
  const r = await run(tool, listArgs);
  if (r.code !== 0) diff.add(undefined, describeRun('7zz', listArgs, r));
  const listed = parseSevenZipSlt(r.stdout.toString('utf8'));
  const byPath = new Map(ctx.expected.map((e) => [e.path, e] as const));
  const seen = new Set<string>();
  for (const l of listed) {
    const e = byPath.get(l.path);
    if (e === undefined) {
      diff.add(l.path, 'listed by 7zz but not in the tree');
      continue;
    }
    seen.add(l.path);
    if (l.mode !== undefined) {
      diff.same(e.path, '7zz type', KIND_LETTER[e.kind], l.mode[0]);
      if (e.kind !== 'symlink') diff.same(e.path, '7zz mode', modeString(e.mode), l.mode.slice(1));
    }
    diff.same(e.path, '7zz folder', e.kind === 'dir', l.folder);
    if (e.kind === 'file' || e.kind === 'symlink') diff.same(e.path, '7zz size', e.size, l.size);
    if (l.uid !== undefined) diff.same(e.path, '7zz uid', e.uid, l.uid);
    if (l.gid !== undefined) diff.same(e.path, '7zz gid', e.gid, l.gid);
    if (l.modified !== undefined) diff.same(e.path, '7zz mtime', secondUtc(e.mtime), l.modified);
  }
  for (const e of ctx.expected) if (e.path !== '' && !seen.has(e.path)) diff.add(e.path, 'not listed by 7zz');

  if (totalFileBytes(ctx.expected) <= 256 * 1024 * 1024) {
    const dest = join(ctx.workDir, '7zz-root');
    const xArgs = ['x', '-snl', '-y', `-o${dest}`, ctx.imagePath];
    const x = await run(tool, xArgs);
    // 7-Zip refuses symlinks that point outside the extraction directory; that is not an image problem.
    const output = `${x.stdout.toString('utf8')}\n${x.stderr}`;
    const errors = output.split('\n').filter((l) => l.startsWith('ERROR'));
    const dangerous = new Set<string>();
    for (const l of errors) {
      const m = /^ERROR: Dangerous link path was ignored : (.*) : /.exec(l);
      if (m !== null) dangerous.add(m[1]!);
    }
    if (x.code !== 0 && (errors.length === 0 || errors.length !== dangerous.size)) diff.add(undefined, describeRun('7zz', xArgs, x));
    try {
      for (const e of ctx.expected) {
        const path = join(dest, e.path);
        if (e.kind === 'file' && e.node.kind === 'file') {
          try {
            const [want, got] = await Promise.all([contentDigest(e.node.content), digestFile(path)]);
            if (want.sha256 !== got) diff.add(e.path, '7zz x: content differs');
          } catch (error) {
            diff.add(e.path, `7zz x: ${String(error)}`);
          }
        } else if (e.kind === 'symlink' && !e.target!.startsWith('/') && !e.paths.some((p) => dangerous.has(p))) {
          // (7-Zip re-roots absolute targets under the extraction directory, so only relative ones are compared.)
          try {
            if ((await lstat(path)).isSymbolicLink()) diff.same(e.path, '7zz x symlink target', e.target, await readlink(path));
            else diff.add(e.path, '7zz x: not extracted as a symlink');
          } catch (error) {
            diff.add(e.path, `7zz x: ${String(error)}`);
          }
        }
      }
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  }
  return diff.result();
}
