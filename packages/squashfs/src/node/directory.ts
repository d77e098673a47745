/**
 * A directory on disk → the in-memory tree: lstat metadata, symlinks (not followed), hard links
 * (one node per dev+ino), devices, FIFOs, sockets and xattrs; plus file content read from a path.
 */
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync as fsReadSync, statSync, type BigIntStats } from 'node:fs';
import { lstat, open, readdir, readlink, stat } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { SquashfsError, type SquashfsWarning } from '../errors.js';
import { checkSymlinkTarget } from '../input/symlink.js';
import { XattrNameFilter, isStorableXattr } from '../input/xattr-names.js';
import { compareNames, splitPath, validateName } from '../tree/names.js';
import type { DirNode, FileContent, FsNode, NodeMeta } from '../tree/node.js';
import { Tree, makeMeta, type TreeDefaults } from '../tree/tree.js';

/** Read size of {@link contentFromPath}: large sequential reads. */
export const FILE_READ_SIZE = 1 << 20;
const U32_MAX = 0xffff_ffff;

/** Files up to this declared size are read with synchronous calls (see {@link contentFromPath}). */
export const SYNC_READ_MAX = 256 << 10;

const eofScratch = new Uint8Array(1);

/** Size of the next read: the declared bytes still expected (1 to confirm the end), else 1 MiB. */
function nextReadSize(remaining: number | undefined): number {
  return remaining === undefined || remaining < 0 ? FILE_READ_SIZE : remaining === 0 ? 1 : Math.min(remaining, FILE_READ_SIZE);
}

/**
 * Content of a file on disk, re-openable: every `open()` opens the file again and yields its bytes
 * in reads of up to 1 MiB (each a fresh buffer, so the writer may keep slices). `size`, when given,
 * is enforced by the writer, which so detects a file that changed while the image was written;
 * it also sizes the read buffers (a small file is not read into a 1 MiB buffer), the read that
 * confirms the end of the file uses a 1-byte buffer.
 *
 * Files of a declared size up to {@link SYNC_READ_MAX} are read with synchronous calls when
 * iterated (open, read, read, close: a few microseconds from the page cache, where four round trips
 * through the libuv pool cost several times more), and offer `readInto` (the writer reads files
 * smaller than a block into one reused buffer); larger files are read asynchronously.
 */
export function contentFromPath(path: string, size?: number): FileContent {
  return size !== undefined && size <= SYNC_READ_MAX ? new SmallFileContent(path, size) : new FileContentFromPath(path, size);
}

/**
 * {@link contentFromPath} of a file read asynchronously. A class, not closures: a scan of 25,000
 * files makes one object per file.
 */
class FileContentFromPath implements FileContent {
  readonly origin: string;
  readonly size?: number;

  constructor(path: string, size: number | undefined) {
    this.origin = path;
    if (size !== undefined) this.size = size;
  }

  async *open(): AsyncGenerator<Uint8Array> {
    const path = this.origin;
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (e) {
      throw ioError(`cannot open ${path}`, path, e);
    }
    let remaining = this.size;
    try {
      for (;;) {
        // Uninitialized memory is fine: only the bytes read are yielded.
        const buffer: Uint8Array = Buffer.allocUnsafeSlow(nextReadSize(remaining));
        let n: number;
        try {
          ({ bytesRead: n } = await handle.read(buffer, 0, buffer.length, null));
        } catch (e) {
          throw ioError(`cannot read ${path}`, path, e);
        }
        if (n === 0) return;
        if (remaining !== undefined) remaining = remaining === 0 ? -1 : remaining - n;
        yield n === buffer.length ? buffer : buffer.subarray(0, n);
      }
    } finally {
      await handle.close();
    }
  }
}

function openForRead(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw ioError(`cannot open ${path}`, path, e);
  }
}

/** {@link contentFromPath} of a small file: synchronous reads, and `readInto` for the writer. */
class SmallFileContent implements FileContent {
  readonly origin: string;
  readonly size: number;

  constructor(path: string, size: number) {
    this.origin = path;
    this.size = size;
  }

  *open(): Generator<Uint8Array> {
    const path = this.origin;
    const fd = openForRead(path);
    let remaining = this.size;
    try {
      for (;;) {
        // The read that confirms the end goes to a shared scratch byte (copied if the file grew).
        const buffer: Uint8Array = remaining === 0 ? eofScratch : Buffer.allocUnsafeSlow(nextReadSize(remaining));
        let n: number;
        try {
          n = fsReadSync(fd, buffer, 0, buffer.length, null);
        } catch (e) {
          throw ioError(`cannot read ${path}`, path, e);
        }
        if (n === 0) return;
        remaining = remaining === 0 ? -1 : remaining - n;
        if (buffer === eofScratch) yield eofScratch.slice(0, n);
        else yield n === buffer.length ? buffer : buffer.subarray(0, n);
      }
    } finally {
      closeSync(fd);
    }
  }

  readInto(target: Uint8Array): number {
    const path = this.origin;
    const fd = openForRead(path);
    let filled = 0;
    try {
      while (filled < target.length) {
        const n = fsReadSync(fd, target, filled, target.length - filled, null);
        if (n === 0) break;
        filled += n;
        // The declared size read with room to spare: a regular file's read stops short only at
        // its end, so no second read to see 0 (one syscall per file fewer). A file that had grown
        // filled the room and is reported by the writer.
        if (filled === this.size) break;
      }
    } catch (e) {
      throw ioError(`cannot read ${path}`, path, e);
    } finally {
      closeSync(fd);
    }
    return filled;
  }
}

export interface DirectoryOptions {
  /** Directory of the tree the source maps to ("usr/local/bin"); default the tree root. */
  prefix?: string;
  /**
   * The host platform, which decides how metadata is mapped (default `process.platform`):
   * - `win32`: modes mean nothing there, so directories get 0755, files 0644, symlinks 0777,
   *   uid/gid 0; no xattrs. Fix executables with overrides (`applyOverrides`).
   * - `darwin`: `com.apple.*` xattrs are dropped; device numbers are decoded from macOS
   *   `st_rdev` (major << 24 | minor).
   * - `linux` (and others): metadata as stored; Linux `dev_t` decoding.
   */
  platform?: NodeJS.Platform;
  /** Owner for every entry (default: as on disk). */
  uid?: number;
  gid?: number;
  /** Shorthand for `uid: 0, gid: 0`. */
  allRoot?: boolean;
  /** mtime for every entry (default: as on disk, in whole seconds, clamped to 0..2^32-1). */
  mtime?: number;
  /**
   * Return false to leave an entry out (a directory with its contents). `relPath` is relative to
   * the source directory, "/"-separated; the source directory itself is not offered.
   */
  filter?: (relPath: string, stats: BigIntStats) => boolean;
  /** Read xattrs (default true; needs the optional `@napi-rs/xattr` module on Linux/macOS). */
  xattrs?: boolean;
  /** The source directory's own metadata for the target directory (root or prefix). Default true. */
  rootMeta?: boolean;
  /** Non-fatal problems: dropped xattrs, clamped times, the xattr module missing. */
  onWarning?: (warning: SquashfsWarning) => void;
  /**
   * Scan with synchronous calls (readdir, lstat, readlink, xattrs) instead of concurrent async ones.
   * Same tree; several times faster on a large tree from the page cache (no libuv pool round trip
   * per entry), but it blocks the event loop for the whole scan: for command-line tools, not servers.
   * Default false.
   */
  sync?: boolean;
  /**
   * Read subdirectories only when they are needed (`DirNode.load`): `writeImage` reads each one
   * when it reaches it, so the scan overlaps compression instead of preceding it. Walking or
   * changing the tree (`tree.get`, `applyOverrides`, ...) loads what it touches with `sync`; call
   * `await loadTree(tree)` first otherwise. Errors in a subdirectory surface when it is read.
   * Default false.
   */
  lazy?: boolean;
}

export interface FromDirectoryOptions extends DirectoryOptions {
  /** Defaults for the new Tree (directories of the prefix take these). */
  defaults?: Partial<TreeDefaults>;
}

/** Reads a directory on disk into a new {@link Tree}; see {@link addDirectory}. */
export async function fromDirectory(dir: string, options: FromDirectoryOptions = {}): Promise<Tree> {
  const tree = new Tree(options.defaults === undefined ? {} : { defaults: options.defaults });
  await addDirectory(tree, dir, options);
  return tree;
}

/**
 * Adds the contents of directory `dir` to `tree` under `options.prefix`. Walks with lstat:
 * symlinks are stored as symlinks (readlink, never followed); entries with the same dev+ino
 * become the same node (hard links: one inode, nlink = links inside the tree); block and
 * character devices, FIFOs and sockets are kept. File contents are not read here: each file
 * node holds {@link contentFromPath}, read when the image is written.
 *
 * Names must be valid UTF-8 (INVALID_NAME names the path otherwise). Directories merge with
 * existing ones in the tree; any other existing entry is a DUPLICATE_NAME error.
 */
export async function addDirectory(tree: Tree, dir: string, options: DirectoryOptions = {}): Promise<void> {
  const platform = options.platform ?? process.platform;
  const xattrs = options.xattrs !== false && platform !== 'win32' ? await loadXattrReader(options.onWarning) : undefined;
  const walker = new Walker(tree, options, platform, xattrs);
  const sync = options.sync === true;
  let rootStats: BigIntStats;
  try {
    rootStats = sync ? statSync(dir, { bigint: true }) : await stat(dir, { bigint: true });
  } catch (e) {
    throw ioError(`cannot read directory ${dir}`, dir, e, 'NOT_FOUND');
  }
  if (!rootStats.isDirectory()) throw new SquashfsError('NOT_A_DIRECTORY', `${dir} is not a directory`, { path: dir });
  const prefix = splitPath(options.prefix ?? '').join('/');
  const target = tree.dir(prefix);
  const rootTree = prefix === '' ? '/' : prefix;
  const root = normalize(dir); // children are then joined by concatenation (see childPath)
  if (options.rootMeta !== false) target.meta = walker.meta(sync ? walker.probeSync(root, '', rootTree, rootStats) : await walker.probe(root, '', rootTree, rootStats));
  if (sync) walker.walkSync(root, '', target, prefix);
  else await walker.walk(root, '', target, prefix);
}

interface XattrReader {
  list(path: string): Promise<string[]>;
  get(path: string, name: string): Promise<Uint8Array | null>;
  listSync(path: string): string[];
  getSync(path: string, name: string): Uint8Array | null;
}

interface XattrModule {
  listAttributes(path: string): Promise<string[]>;
  getAttribute(path: string, name: string): Promise<Uint8Array | null>;
  listAttributesSync(path: string): string[];
  getAttributeSync(path: string, name: string): Uint8Array | null;
}

let xattrModule: Promise<XattrModule | undefined> | undefined;

/** Loads the optional `@napi-rs/xattr` once; undefined (and one warning per call site) when missing. */
async function loadXattrReader(onWarning?: (warning: SquashfsWarning) => void): Promise<XattrReader | undefined> {
  xattrModule ??= (async () => {
    try {
      const name = '@napi-rs/xattr';
      const mod = (await import(name)) as Partial<XattrModule> & { default?: Partial<XattrModule> };
      const api = typeof mod.listAttributes === 'function' ? mod : mod.default;
      const complete =
        typeof api?.listAttributes === 'function' &&
        typeof api.getAttribute === 'function' &&
        typeof api.listAttributesSync === 'function' &&
        typeof api.getAttributeSync === 'function';
      return complete ? (api as XattrModule) : undefined;
    } catch {
      return undefined;
    }
  })();
  const mod = await xattrModule;
  if (mod === undefined) {
    onWarning?.({ code: 'XATTR_DROPPED', message: 'xattrs are not read from disk: the optional module @napi-rs/xattr is not installed' });
    return undefined;
  }
  return {
    list: (path) => mod.listAttributes(path),
    get: (path, name) => mod.getAttribute(path, name),
    listSync: (path) => mod.listAttributesSync(path),
    getSync: (path, name) => mod.getAttributeSync(path, name),
  };
}

/**
 * `dir` + `name` for a normalized `dir` and a plain name: a concatenation where the separator is
 * '/' (path.join normalizes the whole string again, char by char: 50 MB of garbage strings for
 * 25,000 files), path.join on Windows.
 */
const childPath: (dir: string, name: string) => string =
  process.platform === 'win32' ? (dir, name) => join(dir, name) : (dir, name) => (dir === '.' ? name : dir.endsWith('/') ? dir + name : `${dir}/${name}`);

/** What the parallel I/O phase learns about one entry. */
interface Probe {
  name: string;
  abs: string;
  treePath: string;
  st: BigIntStats;
  /** Storable xattrs read from disk. */
  xattrs: Map<string, Uint8Array>;
  /** Names of xattrs SquashFS cannot store (warned about, in order, when the node is built). */
  dropped: string[];
  /** Raw symlink target. */
  target?: Uint8Array;
}

/** The xattrs of an entry that has none (most): shared, never changed (makeMeta copies xattrs). */
const NO_XATTRS: { xattrs: Map<string, Uint8Array>; dropped: string[] } = Object.freeze({ xattrs: new Map(), dropped: [] });

/** How many lstat/readlink/xattr calls run at once (the libuv pool runs 4 at a time by default). */
const IO_CONCURRENCY = 32;

class Walker {
  private readonly tree: Tree;
  private readonly options: DirectoryOptions;
  private readonly platform: NodeJS.Platform;
  private readonly xattrs: XattrReader | undefined;
  private readonly xattrFilter: XattrNameFilter;
  private readonly links = new Map<string, FsNode>();

  constructor(tree: Tree, options: DirectoryOptions, platform: NodeJS.Platform, xattrs: XattrReader | undefined) {
    this.tree = tree;
    this.options = options;
    this.platform = platform;
    this.xattrs = xattrs;
    this.xattrFilter = new XattrNameFilter(options.onWarning);
  }

  /**
   * One directory level: the I/O (lstat, then readlink and xattrs of the kept entries) runs
   * concurrently; nodes, hard-link identity and warnings are then built in name order, so the
   * result and the warnings do not depend on I/O timing. Subdirectories follow, in name order.
   */
  async walk(abs: string, rel: string, dir: DirNode, treePath: string): Promise<void> {
    let raw: string[];
    try {
      raw = await readdir(abs);
      // Invalid UTF-8 reads as U+FFFD: read the bytes again to name the culprit (or accept a real U+FFFD).
      if (raw.some(hasReplacementChar)) raw = (await readdir(abs, { encoding: 'buffer' })).map((bytes) => decodeName(bytes, abs));
    } catch (e) {
      if (e instanceof SquashfsError) throw e;
      throw ioError(`cannot read directory ${abs}`, abs, e);
    }
    const names = this.names(raw, treePath);
    const paths = names.map((name) => childPath(abs, name));
    const stats = await mapLimit(paths, IO_CONCURRENCY, async (childAbs) => {
      try {
        return await lstat(childAbs, { bigint: true });
      } catch (e) {
        throw ioError(`cannot stat ${childAbs}`, childAbs, e);
      }
    });
    const kept = this.keep(names, stats, rel);
    const probes = await mapLimit(kept, IO_CONCURRENCY, ({ name, st, index }) => this.probe(paths[index]!, name, treePath === '' ? name : `${treePath}/${name}`, st));
    for (const { probe, node } of this.build(dir, probes)) {
      const next = (): Promise<void> => this.walk(probe.abs, rel === '' ? probe.name : `${rel}/${probe.name}`, node, probe.treePath);
      if (this.options.lazy === true) deferLoad(node, next);
      else await next();
    }
  }

  /** {@link walk} with synchronous calls, one entry after the other (`options.sync`). */
  walkSync(abs: string, rel: string, dir: DirNode, treePath: string): void {
    let raw: string[];
    try {
      raw = readdirSync(abs);
      if (raw.some(hasReplacementChar)) raw = readdirSync(abs, { encoding: 'buffer' }).map((bytes) => decodeName(bytes, abs));
    } catch (e) {
      if (e instanceof SquashfsError) throw e;
      throw ioError(`cannot read directory ${abs}`, abs, e);
    }
    const names = this.names(raw, treePath);
    const paths = names.map((name) => childPath(abs, name));
    const stats = paths.map((childAbs) => {
      try {
        return lstatSync(childAbs, { bigint: true });
      } catch (e) {
        throw ioError(`cannot stat ${childAbs}`, childAbs, e);
      }
    });
    const kept = this.keep(names, stats, rel);
    const probes = kept.map(({ name, st, index }) => this.probeSync(paths[index]!, name, treePath === '' ? name : `${treePath}/${name}`, st));
    for (const { probe, node } of this.build(dir, probes)) {
      const next = (): void => this.walkSync(probe.abs, rel === '' ? probe.name : `${rel}/${probe.name}`, node, probe.treePath);
      if (this.options.lazy === true) deferLoad(node, next);
      else next();
    }
  }

  /** Validated names of one directory, in UTF-8 byte order. */
  private names(raw: string[], treePath: string): string[] {
    const names = raw.sort(compareNames);
    for (const name of names) validateName(name, treePath === '' ? name : `${treePath}/${name}`);
    return names;
  }

  /** The entries `options.filter` keeps. */
  private keep(names: string[], stats: BigIntStats[], rel: string): Array<{ name: string; st: BigIntStats; index: number }> {
    const kept: Array<{ name: string; st: BigIntStats; index: number }> = [];
    names.forEach((name, index) => {
      const st = stats[index]!;
      if (this.options.filter === undefined || this.options.filter(rel === '' ? name : `${rel}/${name}`, st)) kept.push({ name, st, index });
    });
    return kept;
  }

  /** Adds the probed entries of one directory to `dir`, in order; returns the subdirectories to walk. */
  private build(dir: DirNode, probes: Probe[]): Array<{ probe: Probe; node: DirNode }> {
    const subdirs: Array<{ probe: Probe; node: DirNode }> = [];
    for (const probe of probes) {
      const { name, st, treePath: childTree } = probe;
      const existing = dir.entries.get(name);
      if (st.isDirectory()) {
        const meta = this.meta(probe);
        let child: DirNode;
        if (existing === undefined) {
          child = { kind: 'dir', meta, entries: new Map() };
          dir.entries.set(name, child);
        } else if (existing.kind === 'dir') {
          child = existing;
          child.meta = meta;
        } else {
          throw new SquashfsError('DUPLICATE_NAME', `${JSON.stringify(childTree)} already exists as a ${existing.kind}; ${probe.abs} is a directory`, { path: childTree });
        }
        subdirs.push({ probe, node: child });
        continue;
      }
      if (existing !== undefined) {
        throw new SquashfsError('DUPLICATE_NAME', `${JSON.stringify(childTree)} already exists in the tree (adding ${probe.abs})`, { path: childTree });
      }
      // Only an entry with other links can be met again (its dev:ino key built only then).
      const key = st.nlink > 1n ? `${st.dev}:${st.ino}` : undefined;
      let node = key === undefined ? undefined : this.links.get(key);
      if (node === undefined) {
        node = this.node(probe);
        if (key !== undefined) this.links.set(key, node);
      }
      dir.entries.set(name, node);
    }
    return subdirs;
  }

  /** The I/O for one entry: xattrs and, for a symlink, its target. */
  async probe(abs: string, name: string, treePath: string, st: BigIntStats): Promise<Probe> {
    const [xattrs, target] = await Promise.all([
      this.readXattrs(abs),
      st.isSymbolicLink()
        ? readlink(abs, { encoding: 'buffer' }).catch((e: unknown) => {
            throw ioError(`cannot read symlink ${abs}`, abs, e);
          })
        : Promise.resolve(undefined),
    ]);
    return { name, abs, treePath, st, ...xattrs, ...(target === undefined ? {} : { target }) };
  }

  /** {@link probe} with synchronous calls. */
  probeSync(abs: string, name: string, treePath: string, st: BigIntStats): Probe {
    const xattrs = this.readXattrsSync(abs);
    let target: Uint8Array | undefined;
    if (st.isSymbolicLink()) {
      try {
        target = readlinkSync(abs, { encoding: 'buffer' });
      } catch (e) {
        throw ioError(`cannot read symlink ${abs}`, abs, e);
      }
    }
    return { name, abs, treePath, st, ...xattrs, ...(target === undefined ? {} : { target }) };
  }

  private node(probe: Probe): FsNode {
    const { abs, st, treePath } = probe;
    const meta = this.meta(probe);
    if (st.isFile()) return { kind: 'file', meta, content: contentFromPath(abs, Number(st.size)) };
    if (st.isSymbolicLink()) {
      let target = decodeName(probe.target!, abs, 'symlink target');
      if (this.platform === 'win32') target = target.replace(/\\/g, '/');
      checkSymlinkTarget(target, treePath, abs);
      return { kind: 'symlink', meta, target };
    }
    if (st.isBlockDevice() || st.isCharacterDevice()) {
      const { major, minor } = decodeRdev(st.rdev, this.platform);
      if (major > 0xfff || minor > 0xfffff) {
        throw new SquashfsError('UNSUPPORTED', `device ${abs} has number ${major}:${minor}, outside what SquashFS stores (major ≤ 4095, minor ≤ 1048575)`, { path: treePath });
      }
      return { kind: st.isBlockDevice() ? 'blockdev' : 'chardev', meta, major, minor };
    }
    if (st.isFIFO()) return { kind: 'fifo', meta };
    if (st.isSocket()) return { kind: 'socket', meta };
    throw new SquashfsError('UNSUPPORTED', `${abs} has a file type SquashFS cannot store`, { path: treePath });
  }

  meta(probe: Probe): NodeMeta {
    const { abs, st, treePath } = probe;
    const o = this.options;
    const win = this.platform === 'win32';
    let mode = Number(st.mode & 0o7777n);
    if (win) mode = st.isDirectory() ? 0o755 : st.isSymbolicLink() ? 0o777 : 0o644;
    const root = o.allRoot === true;
    const uid = o.uid ?? (root || win ? 0 : Number(st.uid));
    const gid = o.gid ?? (root || win ? 0 : Number(st.gid));
    let mtime = o.mtime ?? floorDiv(st.mtimeNs, 1_000_000_000n);
    if (mtime < 0 || mtime > U32_MAX) {
      const clamped = mtime < 0 ? 0 : U32_MAX;
      o.onWarning?.({ code: 'TIME_CLAMPED', message: `mtime ${mtime} of ${abs} clamped to ${clamped}`, path: treePath });
      mtime = clamped;
    }
    for (const name of probe.dropped) this.xattrFilter.keep(name, treePath);
    return makeMeta({ mode, uid, gid, mtime, xattrs: probe.xattrs }, mode, this.tree.defaults, treePath);
  }

  private async readXattrs(abs: string): Promise<{ xattrs: Map<string, Uint8Array>; dropped: string[] }> {
    const reader = this.xattrs;
    if (reader === undefined) return NO_XATTRS;
    let names: string[];
    try {
      names = await reader.list(abs);
    } catch {
      return NO_XATTRS; // filesystems without xattr support, special files the module cannot open
    }
    if (names.length === 0) return NO_XATTRS;
    const { storable, dropped } = this.sortXattrNames(names);
    const xattrs = new Map<string, Uint8Array>();
    for (const name of storable) {
      let value: Uint8Array | null;
      try {
        value = await reader.get(abs, name);
      } catch (e) {
        throw ioError(`cannot read xattr ${name} of ${abs}`, abs, e);
      }
      if (value !== null) xattrs.set(name, new Uint8Array(value));
    }
    return { xattrs, dropped };
  }

  /** {@link readXattrs} with synchronous calls. */
  private readXattrsSync(abs: string): { xattrs: Map<string, Uint8Array>; dropped: string[] } {
    const reader = this.xattrs;
    if (reader === undefined) return NO_XATTRS;
    let names: string[];
    try {
      names = reader.listSync(abs);
    } catch {
      return NO_XATTRS;
    }
    if (names.length === 0) return NO_XATTRS;
    const { storable, dropped } = this.sortXattrNames(names);
    const xattrs = new Map<string, Uint8Array>();
    for (const name of storable) {
      let value: Uint8Array | null;
      try {
        value = reader.getSync(abs, name);
      } catch (e) {
        throw ioError(`cannot read xattr ${name} of ${abs}`, abs, e);
      }
      if (value !== null) xattrs.set(name, new Uint8Array(value));
    }
    return { xattrs, dropped };
  }

  /** xattr names in order, split into those SquashFS stores and those it cannot (warned about later). */
  private sortXattrNames(names: readonly string[]): { storable: string[]; dropped: string[] } {
    const storable: string[] = [];
    const dropped: string[] = [];
    for (const name of [...names].sort()) {
      if (this.platform === 'darwin' && name.startsWith('com.apple.')) continue; // never stored, not worth a warning
      if (isStorableXattr(name)) storable.push(name);
      else dropped.push(name);
    }
    return { storable, dropped };
  }
}

/** Maps `items` through `fn` with at most `limit` calls in flight; results keep the input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Splits a `st_rdev` into major and minor as the host encodes it: Linux `dev_t` (glibc
 * `gnu_dev_major`/`gnu_dev_minor`), macOS (major << 24 | minor), FreeBSD (`major()`/`minor()`).
 * Other platforms are decoded as Linux.
 */
export function decodeRdev(rdev: bigint | number, platform: NodeJS.Platform = process.platform): { major: number; minor: number } {
  const dev = BigInt(rdev);
  if (platform === 'darwin') return { major: Number((dev >> 24n) & 0xffn), minor: Number(dev & 0xffffffn) };
  if (platform === 'freebsd') {
    return {
      major: Number(((dev >> 32n) & 0xffffff00n) | ((dev >> 8n) & 0xffn)),
      minor: Number(((dev >> 24n) & 0xff00n) | (dev & 0xffff00ffn)),
    };
  }
  return {
    major: Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n)),
    minor: Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n)),
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Names are read as strings (no Buffer per entry); a U+FFFD in one may hide invalid UTF-8. */
function hasReplacementChar(name: string): boolean {
  return name.includes('\uFFFD');
}

function decodeName(bytes: Uint8Array, where: string, what = 'name'): string {
  try {
    return utf8.decode(bytes);
  } catch {
    const shown = Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
    const path = what === 'name' ? join(where, shown) : where;
    throw new SquashfsError('INVALID_NAME', `${what} ${JSON.stringify(shown)} in ${where} is not valid UTF-8 (${path}); rename it`, { path });
  }
}

function floorDiv(a: bigint, b: bigint): number {
  const q = a / b;
  return Number(a < 0n && q * b !== a ? q - 1n : q);
}

/**
 * Makes `dir` load lazily with `load` (after a loader already set on it: two sources merged into
 * one directory are read in the order they were added). The loader removes itself before running.
 */
function deferLoad(dir: DirNode, load: () => void | Promise<void>): void {
  const earlier = dir.load;
  const run = (): void | Promise<void> => {
    if (dir.load === run) delete dir.load;
    const first = earlier?.();
    if (first !== undefined) return first.then(load);
    return load();
  };
  dir.load = run;
}

function ioError(message: string, path: string, cause: unknown, code: 'IO' | 'NOT_FOUND' = 'IO'): SquashfsError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const notFound = (cause as { code?: string } | undefined)?.code === 'ENOENT';
  return new SquashfsError(notFound && code === 'NOT_FOUND' ? 'NOT_FOUND' : 'IO', `${message}: ${reason}`, { path, cause });
}
