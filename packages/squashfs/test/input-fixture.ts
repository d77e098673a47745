// Test helper (not a test file): builds a source directory with every kind of entry, and lists a
// directory on disk with lstat, independently of the code under test, as the expected result.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FsNode, Tree } from '@sysext-bakery/squashfs';

export const isRoot = process.getuid?.() === 0;

interface XattrModule {
  setAttributeSync(path: string, name: string, value: Uint8Array | string): void;
  listAttributesSync(path: string): string[];
  getAttributeSync(path: string, name: string): Uint8Array | null;
}

/** The optional xattr module, or undefined (then xattr checks are skipped loudly). */
export const xattr: XattrModule | undefined = (() => {
  try {
    return createRequire(import.meta.url)('@napi-rs/xattr') as XattrModule;
  } catch {
    return undefined;
  }
})();

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `sysext-bakery-${tag}-`));
}

export interface FixtureOptions {
  devices?: boolean;
  xattrs?: boolean;
  socket?: boolean;
}

/** Creates `dir` with files, dirs, long names, hard links, symlinks, a fifo and (as root) devices. */
export function buildFixture(dir: string, options: FixtureOptions = {}): void {
  mkdirSync(dir, { recursive: true });
  const at = (p: string): string => join(dir, p);
  mkdirSync(at('usr/bin'), { recursive: true });
  mkdirSync(at('etc/private'), { recursive: true });
  writeFileSync(at('usr/bin/tool'), randomBytes(200_000));
  chmodSync(at('usr/bin/tool'), 0o755);
  writeFileSync(at('usr/bin/suid'), 'setuid');
  chmodSync(at('usr/bin/suid'), 0o4755);
  writeFileSync(at('empty'), '');
  writeFileSync(at('etc/private/secret'), 'secret\n');
  chmodSync(at('etc/private'), 0o700);
  chmodSync(at('etc/private/secret'), 0o600);
  // Long names: a 150-byte component and a path over 255 bytes.
  const long = 'l'.repeat(150);
  mkdirSync(at(`usr/${long}/${'m'.repeat(120)}`), { recursive: true });
  writeFileSync(at(`usr/${long}/${'m'.repeat(120)}/${'n'.repeat(100)}.txt`), 'deep');
  writeFileSync(at('usr/unicode-ünï-😀'), 'utf8 name');
  // Hard links (three names for one file).
  writeFileSync(at('usr/bin/multi'), 'one inode');
  linkSync(at('usr/bin/multi'), at('usr/bin/multi-2'));
  linkSync(at('usr/bin/multi'), at('etc/multi-3'));
  // Symlinks: relative, absolute, dangling, long target.
  symlinkSync('tool', at('usr/bin/tool-link'));
  symlinkSync('/etc/os-release', at('etc/abs-link'));
  symlinkSync('../nowhere/at/all', at('usr/dangling'));
  symlinkSync(`${'t'.repeat(200)}/${'u'.repeat(50)}`, at('usr/long-target'));
  execFileSync('mkfifo', [at('usr/fifo')]);
  if (options.devices === true && isRoot) {
    mkdirSync(at('dev'));
    execFileSync('mknod', [at('dev/null'), 'c', '1', '3']);
    execFileSync('mknod', [at('dev/loop0'), 'b', '7', '0']);
    execFileSync('mknod', [at('dev/big'), 'c', '259', '70000']);
  }
  if (options.xattrs === true && xattr !== undefined) {
    xattr.setAttributeSync(at('usr/bin/tool'), 'user.mime', 'application/x-executable');
    xattr.setAttributeSync(at('usr/bin/tool'), 'trusted.overlay', new Uint8Array([0, 1, 2, 255]));
    xattr.setAttributeSync(at('etc/private'), 'user.dir', 'yes');
    if (isRoot) xattr.setAttributeSync(at('usr/bin/suid'), 'security.capability', new Uint8Array([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  }
  if (isRoot) chownSync(at('etc/private/secret'), 1234, 5678);
  // Distinct, known mtimes (set last, directories after their contents).
  let t = 1_600_000_000;
  const walk = (rel: string): void => {
    const full = rel === '' ? dir : at(rel);
    const st = lstatSync(full);
    if (st.isDirectory()) for (const name of readdirSync(full).sort()) walk(rel === '' ? name : `${rel}/${name}`);
    if (!st.isSymbolicLink()) utimesSync(full, t, t);
    t += 1000;
  };
  walk('');
}

export interface Expected {
  kind: FsNode['kind'];
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size?: number;
  content?: Buffer;
  target?: string;
  major?: number;
  minor?: number;
  ino: number;
  xattrs?: Record<string, string>;
}

/** Lists `dir` recursively with lstat (paths relative, root = ""). */
export function listDisk(dir: string, withXattrs = false): Map<string, Expected> {
  const out = new Map<string, Expected>();
  const walk = (rel: string): void => {
    const full = rel === '' ? dir : join(dir, rel);
    const st = lstatSync(full);
    const kind: FsNode['kind'] = st.isDirectory()
      ? 'dir'
      : st.isFile()
        ? 'file'
        : st.isSymbolicLink()
          ? 'symlink'
          : st.isCharacterDevice()
            ? 'chardev'
            : st.isBlockDevice()
              ? 'blockdev'
              : st.isFIFO()
                ? 'fifo'
                : 'socket';
    const e: Expected = { kind, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000), ino: st.ino };
    if (kind === 'file') {
      e.size = st.size;
      e.content = readFileSync(full);
    }
    if (kind === 'symlink') e.target = readlinkSync(full);
    if (kind === 'chardev' || kind === 'blockdev') {
      // Linux dev_t: major bits 8..19 (+ 32..), minor bits 0..7 and 20..31.
      e.major = (st.rdev >> 8) & 0xfff;
      e.minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    }
    if (withXattrs && xattr !== undefined && kind !== 'symlink') {
      const names = xattr.listAttributesSync(full).filter((n) => /^(user|trusted|security)\./.test(n)).sort();
      e.xattrs = Object.fromEntries(names.map((n) => [n, Buffer.from(xattr.getAttributeSync(full, n) ?? []).toString('hex')]));
    }
    out.set(rel, e);
    if (kind === 'dir') for (const name of readdirSync(full)) walk(rel === '' ? name : `${rel}/${name}`);
  };
  walk('');
  return out;
}

/** Reads a file node's content fully. */
export async function readContent(node: FsNode): Promise<Buffer> {
  if (node.kind !== 'file') throw new Error(`not a file: ${node.kind}`);
  const parts: Uint8Array[] = [];
  for await (const chunk of node.content.open()) parts.push(chunk);
  return Buffer.concat(parts);
}

export interface CompareOptions {
  /** Compare mode/uid/gid/mtime of the root entry too. */
  root?: boolean;
  xattrs?: boolean;
  /** Skip the mode of symlinks (tar stores 0777; disks too on Linux). */
  ignore?: (path: string) => boolean;
}

/**
 * Asserts that a tree holds exactly what `expected` lists: paths, kinds, metadata, content,
 * targets, devices, hard-link identity (same inode on disk ⇔ same node object).
 */
export async function compareTree(tree: Tree, expected: Map<string, Expected>, options: CompareOptions = {}): Promise<string[]> {
  const problems: string[] = [];
  const actual = new Map(tree.walk());
  const keys = (m: Map<string, unknown>): string[] => [...m.keys()].filter((k) => !(options.ignore?.(k) ?? false)).sort();
  const a = keys(actual);
  const e = keys(expected);
  if (JSON.stringify(a) !== JSON.stringify(e)) problems.push(`paths differ:\n  tree only: ${a.filter((p) => !expected.has(p)).join(', ')}\n  disk only: ${e.filter((p) => !actual.has(p)).join(', ')}`);
  const nodeByIno = new Map<number, FsNode>();
  for (const path of e) {
    const node = actual.get(path);
    const exp = expected.get(path)!;
    if (node === undefined) continue;
    const where = JSON.stringify(path);
    if (node.kind !== exp.kind) {
      problems.push(`${where}: kind ${node.kind} != ${exp.kind}`);
      continue;
    }
    if (path !== '' || options.root === true) {
      for (const key of ['mode', 'uid', 'gid', 'mtime'] as const) {
        if (node.kind === 'symlink' && key === 'mode') continue;
        if (node.meta[key] !== exp[key]) problems.push(`${where}: ${key} ${node.meta[key]?.toString(8)} != ${exp[key].toString(8)} (octal)`);
      }
    }
    if (node.kind === 'file') {
      const bytes = await readContent(node);
      if (!bytes.equals(exp.content!)) problems.push(`${where}: content differs (${bytes.length} vs ${exp.content!.length} bytes)`);
      if (node.content.size !== undefined && node.content.size !== exp.size) problems.push(`${where}: size ${node.content.size} != ${exp.size}`);
    }
    if (node.kind === 'symlink' && node.target !== exp.target) problems.push(`${where}: target ${node.target} != ${exp.target}`);
    if ((node.kind === 'chardev' || node.kind === 'blockdev') && (node.major !== exp.major || node.minor !== exp.minor)) {
      problems.push(`${where}: device ${node.major}:${node.minor} != ${exp.major}:${exp.minor}`);
    }
    if (node.kind !== 'dir') {
      const seen = nodeByIno.get(exp.ino);
      if (seen === undefined) nodeByIno.set(exp.ino, node);
      else if (seen !== node) problems.push(`${where}: hard link is not the same node`);
    }
    if (options.xattrs === true && exp.xattrs !== undefined) {
      const got = Object.fromEntries([...node.meta.xattrs].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => [k, Buffer.from(v).toString('hex')]));
      if (JSON.stringify(got) !== JSON.stringify(exp.xattrs)) problems.push(`${where}: xattrs ${JSON.stringify(got)} != ${JSON.stringify(exp.xattrs)}`);
    }
  }
  // Distinct inodes on disk must be distinct nodes.
  const nodes = new Set(nodeByIno.values());
  if (nodes.size !== nodeByIno.size) problems.push('distinct inodes share a node');
  return problems;
}
