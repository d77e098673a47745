import { SquashfsError, type SquashfsWarning } from '../errors.js';
import { contentFromBytes } from '../tree/content.js';
import { splitPath, validateName } from '../tree/names.js';
import type { DirNode, FileContent, FsNode, NodeMeta } from '../tree/node.js';
import { Tree, makeMeta, type TreeDefaults } from '../tree/tree.js';
import { ByteReader, type ByteChunks, maybeGunzip } from './byte-reader.js';
import { decodeBase64, decodeLibarchiveName, parsePax, parsePaxInt, parsePaxTime } from './pax.js';
import { type Named, type RawTarHeader, TAR_BLOCK, cString, isZeroBlock, lossy, nameOf, padding, parseHeader, tarCorrupt } from './tar-header.js';
import { type SparseRegion, checkSparse, gnuSparseEntries, gnuSparseHeader, paxSparseMap, sparseContent } from './tar-sparse.js';
import { checkSymlinkTarget } from './symlink.js';
import { XattrNameFilter } from './xattr-names.js';

/** The kinds of tar members this reader turns into tree entries. */
export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'chardev' | 'blockdev' | 'dir' | 'fifo';

/** A member as the `filter` option sees it (after PAX / GNU long-name records are merged). */
export interface TarHeader {
  /** Normalised archive path ("usr/bin/x": no "./", no trailing "/"); "" is the archive root "./". */
  path: string;
  type: TarEntryType;
  /** The raw type flag ("0", "5", "S", ...). */
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch as stored (may be negative or beyond u32; the tree clamps it). */
  mtime: number;
  /** Real file size (for sparse files the expanded size); 0 for non-files. */
  size: number;
  /** Symlink target or hard-link target path. */
  linkname?: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** The storable xattrs (user.*, trusted.*, security.*). */
  xattrs: ReadonlyMap<string, Uint8Array>;
}

export interface TarOptions {
  /** Directory of the tree the archive root maps to ("usr/local/bin/cni"); default the tree root. */
  prefix?: string;
  /** Member kinds accepted; a member of another kind fails with UNSUPPORTED (default: all). */
  allowTypes?: readonly TarEntryType[];
  /** Return false to skip a member (a skipped directory skips nothing below it: filter those too). */
  filter?: (path: string, header: TarHeader) => boolean;
  /** Override every member's mtime / uid / gid. */
  mtime?: number;
  uid?: number;
  gid?: number;
  /** Refuse symlinks whose target is absolute or climbs out of the archive root (default false). */
  strict?: boolean;
  /** Take the metadata of a "./" member for the root (or prefix) directory (default false: ignored). */
  rootFromArchive?: boolean;
  /** Non-fatal problems: dropped xattrs, clamped times, members replaced by later ones. */
  onWarning?: (warning: SquashfsWarning) => void;
  /** Name of the archive in messages (default "tar archive"). */
  name?: string;
  /**
   * Where file contents are kept (default: in memory, as pieces of the archive's data). A store
   * that writes them elsewhere bounds the memory an archive of any size needs (the Node adapter
   * `createSpool` keeps them in memory up to a limit, then in a temp file).
   */
  store?: ContentStore;
}

/** Keeps the contents of the files {@link addTar} reads. */
export interface ContentStore {
  /**
   * Takes one file's data, `size` bytes delivered by `data` (buffers of up to 4 MiB, each the
   * store's to keep), and returns the content the tree holds for the file. It must read `data`
   * to the end, or skip it: the archive goes on after it. `at` is where the data starts in the
   * archive (after gunzip, if it was compressed): a store that can read the archive itself keeps
   * that and skips the data.
   */
  store(size: number, origin: string, data: TarMemberData, at: number): Promise<FileContent>;
}

/** A member's data as {@link ContentStore.store} gets it: read it to the end, or skip it. */
export interface TarMemberData extends AsyncIterable<Uint8Array> {
  /** Passes over the data without keeping it (instead of reading it). */
  skip(): Promise<void>;
}

export interface FromTarOptions extends TarOptions {
  /** Defaults for the new Tree (implicit directories take these). */
  defaults?: Partial<TreeDefaults>;
}

/** What {@link addTar} read. */
export interface TarSummary {
  /** Members added to the tree (hard links included, skipped and root members excluded). */
  entries: number;
  /** Members the filter skipped. */
  skipped: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const U32_MAX = 0xffff_ffff;
/** Member data is read in pieces of this size (see readPieces). */
const PIECE_SIZE = 4 << 20;
/** Largest GNU long name/link or PAX header accepted (xattr values can make PAX headers large). */
const MAX_RECORD_SIZE = 16 << 20;

function joinPieces(pieces: readonly Uint8Array[], size: number): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** In-memory content held as pieces (no second copy for big files). Re-readable. */
function piecesContent(pieces: readonly Uint8Array[], size: number, origin: string): FileContent {
  if (pieces.length <= 1) return contentFromBytes(pieces[0] ?? new Uint8Array(0), origin);
  return { size, origin, open: () => pieces };
}

/**
 * Reads a tar stream into a new {@link Tree}; see {@link addTar}.
 *
 * ```ts
 * const tree = await fromTar(createReadStream('cni-plugins.tgz'), { prefix: 'usr/libexec/cni' });
 * ```
 */
export async function fromTar(input: ByteChunks | Uint8Array, options: FromTarOptions = {}): Promise<Tree> {
  const tree = new Tree(options.defaults === undefined ? {} : { defaults: options.defaults });
  await addTar(tree, input, options);
  return tree;
}

/**
 * Adds the members of a tar stream to `tree` under `options.prefix`, without extracting anything
 * to disk. `input` is the archive as chunks (a Node Readable, a web ReadableStream, an array of
 * Uint8Array) or as one Uint8Array. Streaming: headers are parsed as the bytes arrive. Formats: ustar, GNU (long names
 * 'L'/'K', sparse 'S', base-256 numbers), PAX (path, linkpath, size, mtime, uid, gid, uname,
 * gname, SCHILY.xattr.*, LIBARCHIVE.xattr.* base64, GNU sparse 1.0 and 0.1, global headers) and v7.
 * Gzip input (magic 1f 8b) is decompressed on the fly; xz/zstd/bzip2 are refused with UNSUPPORTED.
 *
 * File contents are kept **in memory** (one Uint8Array per file; sparse holes are not stored),
 * since a tar stream is sequential and the writer reads files later, unless `options.store` keeps
 * them elsewhere (the Node adapter's `createSpool`: a temp file past a memory limit), which any
 * archive of more than a few hundred MB needs.
 *
 * Refused (SquashfsError naming the member): absolute member paths and ".." components
 * (INVALID_NAME), names that are not UTF-8 (INVALID_NAME), hard links to a member not seen
 * earlier in this archive (NOT_FOUND) or to a directory (UNSUPPORTED), unknown type flags and
 * multi-volume members (UNSUPPORTED), kinds outside `allowTypes` (UNSUPPORTED), and with
 * `strict`, symlinks pointing outside the archive. A malformed archive — header checksum mismatch,
 * bad numeric field, bad PAX record, truncated data or a missing end-of-archive marker — fails with
 * INVALID_ARGUMENT, a message starting "corrupt tar archive" or "truncated tar archive", and `offset`
 * set to the byte position in the decompressed stream.
 *
 * Directories merge with existing ones (the member's metadata wins); a later non-directory member
 * replaces an earlier one at the same path (tar semantics; warned); a non-directory over a
 * directory fails with DUPLICATE_NAME. Parent directories missing from the archive are created
 * with the tree defaults. Hard links become the same node object (one inode, nlink = count).
 */
export async function addTar(tree: Tree, input: ByteChunks | Uint8Array, options: TarOptions = {}): Promise<TarSummary> {
  const what = options.name ?? 'tar archive';
  const reader = new ByteReader(maybeGunzip(input instanceof Uint8Array ? [input] : input, what));
  try {
    return await readArchive(tree, reader, options, what);
  } finally {
    await reader.close();
  }
}

interface Pending {
  longName?: Uint8Array;
  longLink?: Uint8Array;
  pax?: Map<string, Uint8Array>;
}

async function readArchive(tree: Tree, reader: ByteReader, options: TarOptions, what: string): Promise<TarSummary> {
  const prefixParts = splitPath(options.prefix ?? '');
  const base = tree.dir(prefixParts.join('/'));
  const members = new Map<string, FsNode>();
  const skippedPaths = new Set<string>();
  const xattrFilter = new XattrNameFilter(options.onWarning);
  const globals = new Map<string, Uint8Array>();
  const summary: TarSummary = { entries: 0, skipped: 0 };
  let pending: Pending = {};

  /** The padding after a member's `size` bytes of data. */
  const skipPadding = async (size: number, member: Named): Promise<void> => {
    const pad = padding(size);
    if ((await reader.skip(pad)) < pad) throw truncated(`in the padding of ${JSON.stringify(nameOf(member))}`, reader.position);
  };
  /**
   * A member's data as pieces of at most 4 MiB, each allocated only once the previous one is
   * full, so a header claiming a huge size in a short (or hostile) stream fails as truncated
   * instead of allocating that size up front; or skipped. `progress.done` once it was all passed.
   */
  const memberData = (size: number, member: Named, progress: { done: boolean }): TarMemberData => ({
    async skip() {
      await skipData(size, member);
      progress.done = true;
    },
    async *[Symbol.asyncIterator]() {
      let done = 0;
      while (done < size) {
        const piece = new Uint8Array(Math.min(PIECE_SIZE, size - done));
        const got = await reader.readInto(piece);
        done += got;
        if (got < piece.length) throw truncated(`in the data of ${JSON.stringify(nameOf(member))} (${done} of ${size} bytes)`, reader.position);
        yield piece;
      }
      await skipPadding(size, member);
      progress.done = true;
    },
  });
  /** All of a member's data, as pieces (see {@link memberData}). */
  const readPieces = async (size: number, member: Named): Promise<Uint8Array[]> => {
    const pieces: Uint8Array[] = [];
    for await (const piece of memberData(size, member, { done: false })) pieces.push(piece);
    return pieces;
  };
  const readData = async (size: number, member: Named): Promise<Uint8Array> => joinPieces(await readPieces(size, member), size);
  /** An extended header's record (PAX, GNU long name): at most MAX_RECORD_SIZE, read at once. */
  const readRecord = async (size: number, member: Named, kind: string): Promise<Uint8Array> => {
    if (size > MAX_RECORD_SIZE) {
      throw new SquashfsError('LIMIT_EXCEEDED', `${what}: ${kind} of ${JSON.stringify(nameOf(member))} is ${size} bytes; at most ${MAX_RECORD_SIZE} are accepted`, { offset: reader.position });
    }
    const data = await reader.read(size); // what the stream has, up to size: nothing larger is allocated
    if (data.length < size) throw truncated(`in the data of ${JSON.stringify(nameOf(member))} (${data.length} of ${size} bytes)`, reader.position);
    await skipPadding(size, member);
    return data;
  };
  const skipData = async (size: number, member: Named): Promise<void> => {
    const total = size + padding(size);
    if ((await reader.skip(total)) < total) throw truncated(`in the data of ${JSON.stringify(nameOf(member))}`, reader.position);
  };

  for (;;) {
    const at = reader.position;
    const block = await reader.read(TAR_BLOCK);
    if (block.length === 0) throw truncated('ended without the end-of-archive marker (two zero blocks)', at);
    if (block.length < TAR_BLOCK) throw truncated(`inside a header (${block.length} of ${TAR_BLOCK} bytes)`, at);
    if (isZeroBlock(block)) {
      if (pending.longName !== undefined || pending.longLink !== undefined || pending.pax !== undefined) {
        throw tarCorrupt('', 'an extended header is not followed by a member', at);
      }
      // End of archive. Read the rest so a gzip trailer (CRC, size) is still verified.
      await reader.skip(Number.MAX_SAFE_INTEGER);
      return summary;
    }
    const raw = parseHeader(block, at);
    // The header's name as text, for messages only: made when one needs it.
    const rawBytes = pending.longName ?? raw.name;
    const rawName = (): string => lossy(rawBytes);
    switch (raw.typeflag) {
      case 'L':
        pending.longName = cStringOf(await readRecord(raw.size, rawName, 'GNU long name'));
        continue;
      case 'K':
        pending.longLink = cStringOf(await readRecord(raw.size, rawName, 'GNU long link'));
        continue;
      case 'x':
        {
          const records = parsePax(await readRecord(raw.size, rawName, 'PAX header'), at, () => `PAX header for ${JSON.stringify(rawName())}`);
          pending.pax = pending.pax === undefined ? records : new Map([...pending.pax, ...records]);
        }
        continue;
      case 'g':
        for (const [k, v] of parsePax(await readRecord(raw.size, rawName, 'PAX global header'), at, 'PAX global header')) {
          if (v.length === 0) globals.delete(k);
          else globals.set(k, v);
        }
        continue;
      case 'V':
        await skipData(raw.size, rawName);
        pending = {};
        continue;
      default:
        break;
    }
    // This member's records over the global ones (its own map when there are none: it is not
    // used after this member); an empty value deletes a key.
    const pax = globals.size === 0 ? (pending.pax ?? new Map<string, Uint8Array>()) : new Map([...globals, ...(pending.pax ?? [])]);
    for (const [k, v] of pax) if (v.length === 0) pax.delete(k);
    const text = (key: string): string | undefined => {
      const v = pax.get(key);
      if (v === undefined) return undefined;
      try {
        return utf8.decode(v);
      } catch {
        throw new SquashfsError('INVALID_NAME', `${what}: PAX ${key} of ${JSON.stringify(rawName())} is not valid UTF-8`, { offset: at });
      }
    };
    const nameBytes = pax.has('path') ? pax.get('path')! : (pending.longName ?? raw.name);
    const linkBytes = pax.has('linkpath') ? pax.get('linkpath')! : (pending.longLink ?? raw.linkname);
    const memberName = decodeName(nameBytes, what, at);
    const header = raw;
    pending = {};

    // Sizes: the stored size (what follows in the stream) and the real size (sparse files).
    let stored = header.size;
    const paxSize = text('size');
    if (paxSize !== undefined) {
      const n = parsePaxInt(paxSize);
      if (n === undefined) throw tarCorrupt(`PAX header for ${JSON.stringify(memberName)}`, `invalid size ${JSON.stringify(paxSize)}`, at);
      stored = n;
    }
    // Old archivers mark directories only by a trailing "/" on a regular-file member.
    const type = header.typeflag === '0' && memberName.endsWith('/') ? 'dir' : entryType(header.typeflag);
    if (type === undefined) {
      throw new SquashfsError('UNSUPPORTED', `${what}: member ${JSON.stringify(memberName)} has type flag ${JSON.stringify(header.typeflag)}, which is not supported`, { path: memberName, offset: at });
    }
    let sparse: { regions: SparseRegion[]; realSize: number } | undefined;
    if (header.typeflag === 'S') {
      const h = gnuSparseHeader(header.block, `header of ${JSON.stringify(memberName)}`, at);
      const regions = h.regions;
      let extended = h.extended;
      while (extended) {
        const ext = await reader.read(TAR_BLOCK);
        if (ext.length < TAR_BLOCK) throw truncated(`in the sparse map of ${JSON.stringify(memberName)}`, reader.position);
        regions.push(...gnuSparseEntries(ext, 0, 21, `sparse map of ${JSON.stringify(memberName)}`, at));
        extended = ext[504] !== 0;
      }
      sparse = { regions, realSize: h.realSize };
    }
    const sparseMajor = text('GNU.sparse.major');
    const sparseMap = text('GNU.sparse.map');
    let paxSparseV1 = false;
    let name = memberName;
    if (sparseMajor !== undefined || sparseMap !== undefined || pax.has('GNU.sparse.size')) {
      const realText = text('GNU.sparse.realsize') ?? text('GNU.sparse.size');
      const realSize = realText === undefined ? undefined : parsePaxInt(realText);
      if (realSize === undefined) throw tarCorrupt(`PAX header for ${JSON.stringify(memberName)}`, 'sparse file without a valid real size', at);
      const sparseName = pax.get('GNU.sparse.name');
      if (sparseName !== undefined) name = decodeName(sparseName, what, at);
      if (sparseMajor === '1') {
        paxSparseV1 = true;
        sparse = { regions: [], realSize };
      } else if (sparseMap !== undefined) {
        const nums = sparseMap === '' ? [] : sparseMap.split(',').map((s) => parsePaxInt(s));
        if (nums.length % 2 !== 0 || nums.some((n) => n === undefined)) throw tarCorrupt(`PAX header for ${JSON.stringify(memberName)}`, 'invalid GNU.sparse.map', at);
        const regions: SparseRegion[] = [];
        for (let i = 0; i < nums.length; i += 2) regions.push({ offset: nums[i]!, length: nums[i + 1]! });
        sparse = { regions, realSize };
      } else {
        throw new SquashfsError('UNSUPPORTED', `${what}: member ${JSON.stringify(memberName)} uses GNU sparse format 0.0; use --sparse-version=1.0`, { path: memberName, offset: at });
      }
    }

    const path = normalizeMemberPath(name, what, at);
    const xattrs = collectXattrs(pax, xattrFilter, path);
    const mtimeText = text('mtime');
    const paxNumber = (key: 'uid' | 'gid'): number | undefined => {
      const v = text(key);
      if (v === undefined) return undefined;
      const n = parsePaxInt(v);
      if (n === undefined) throw tarCorrupt(`PAX header for ${JSON.stringify(path)}`, `invalid ${key} ${JSON.stringify(v)}`, at);
      return n;
    };
    let mtime = header.mtime;
    if (mtimeText !== undefined) {
      const t = parsePaxTime(mtimeText);
      if (t === undefined) throw tarCorrupt(`PAX header for ${JSON.stringify(path)}`, `invalid mtime ${JSON.stringify(mtimeText)}`, at);
      mtime = t;
    }
    const devmajor = text('SCHILY.devmajor');
    const devminor = text('SCHILY.devminor');
    const linkname = type === 'symlink' || type === 'hardlink' ? decodeLinkname(linkBytes, path, what, at) : undefined;
    const info: TarHeader = {
      path,
      type,
      typeflag: header.typeflag,
      mode: header.mode & 0o7777,
      uid: paxNumber('uid') ?? header.uid,
      gid: paxNumber('gid') ?? header.gid,
      mtime,
      size: type === 'file' ? (sparse?.realSize ?? stored) : 0,
      ...(linkname === undefined ? {} : { linkname }),
      uname: text('uname') ?? header.uname,
      gname: text('gname') ?? header.gname,
      devmajor: devmajor === undefined ? header.devmajor : (parsePaxInt(devmajor) ?? Number.NaN),
      devminor: devminor === undefined ? header.devminor : (parsePaxInt(devminor) ?? Number.NaN),
      xattrs,
    };

    if (options.filter !== undefined && !options.filter(path, info)) {
      summary.skipped++;
      skippedPaths.add(path);
      await skipData(stored, path);
      continue;
    }
    if (options.allowTypes !== undefined && !options.allowTypes.includes(type)) {
      throw new SquashfsError('UNSUPPORTED', `${what}: member ${JSON.stringify(path)} is a ${type}, which is not allowed here (allowed: ${options.allowTypes.join(', ')})`, { path, offset: at });
    }

    // Content (files) or skipped data (everything else).
    let content: FileContent | undefined;
    if (type === 'file') {
      const origin = `${what}:${path}`;
      if (sparse !== undefined) {
        let data = await readData(stored, path);
        if (paxSparseV1) {
          const map = paxSparseMap(data, `sparse map of ${JSON.stringify(path)}`, at);
          sparse.regions = map.regions;
          data = data.subarray(map.mapBytes);
        }
        checkSparse(sparse.regions, sparse.realSize, data.length, `sparse map of ${JSON.stringify(path)}`, at);
        content = sparseContent(sparse.regions, data, sparse.realSize, origin);
      } else if (options.store !== undefined && stored > 0) {
        const progress = { done: false };
        content = await options.store.store(stored, origin, memberData(stored, path, progress), reader.position);
        if (!progress.done) throw new SquashfsError('INVALID_ARGUMENT', `${what}: the content store did not read all of ${JSON.stringify(path)}`, { path, offset: at });
      } else {
        content = piecesContent(await readPieces(stored, path), stored, origin);
      }
    } else {
      await skipData(stored, path);
    }

    const fullPath = prefixParts.length === 0 ? path : [...prefixParts, ...splitMember(path)].join('/');
    if (path === '') {
      if (type !== 'dir') throw new SquashfsError('INVALID_NAME', `${what}: the archive root member is a ${type}, not a directory`, { offset: at });
      if (options.rootFromArchive === true) base.meta = memberMeta(tree, info, options, '/', 0o755);
      continue;
    }
    let node: FsNode;
    switch (type) {
      case 'dir': {
        const dir = tree.dir(fullPath);
        dir.meta = memberMeta(tree, info, options, fullPath, 0o755);
        members.set(path, dir);
        summary.entries++;
        continue;
      }
      case 'hardlink': {
        const target = normalizeMemberPath(linkname!, what, at);
        const existing = members.get(target);
        if (existing === undefined) {
          if (skippedPaths.has(target)) {
            options.onWarning?.({ code: 'OTHER', message: `${what}: hard link ${JSON.stringify(path)} skipped: its target ${JSON.stringify(target)} was filtered out`, path });
            summary.skipped++;
            continue;
          }
          throw new SquashfsError('NOT_FOUND', `${what}: hard link ${JSON.stringify(path)} points to ${JSON.stringify(target)}, which is not an earlier member of the archive`, { path, offset: at });
        }
        if (existing.kind === 'dir') throw new SquashfsError('UNSUPPORTED', `${what}: hard link ${JSON.stringify(path)} points to the directory ${JSON.stringify(target)}`, { path, offset: at });
        node = existing;
        break;
      }
      case 'file':
        node = { kind: 'file', meta: memberMeta(tree, info, options, fullPath, 0o644), content: content! };
        break;
      case 'symlink': {
        const target = linkname!;
        checkSymlinkTarget(target, path, what);
        if (options.strict === true) checkSymlinkEscape(path, target, what, at);
        node = { kind: 'symlink', meta: memberMeta(tree, info, options, fullPath, 0o777), target };
        break;
      }
      case 'chardev':
      case 'blockdev': {
        const { devmajor: major, devminor: minor } = info;
        if (!Number.isInteger(major) || major < 0 || major > 0xfff || !Number.isInteger(minor) || minor < 0 || minor > 0xfffff) {
          throw new SquashfsError('UNSUPPORTED', `${what}: device ${JSON.stringify(path)} has number ${major}:${minor}, outside what SquashFS stores (major ≤ 4095, minor ≤ 1048575)`, { path, offset: at });
        }
        node = { kind: type, meta: memberMeta(tree, info, options, fullPath, 0o644), major, minor };
        break;
      }
      case 'fifo':
        node = { kind: 'fifo', meta: memberMeta(tree, info, options, fullPath, 0o644) };
        break;
    }
    placeNode(tree, fullPath, node, options, what);
    members.set(path, node);
    summary.entries++;
  }
}

function entryType(flag: string): TarEntryType | undefined {
  switch (flag) {
    case '0':
    case '7':
    case 'S':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'chardev';
    case '4':
      return 'blockdev';
    case '5':
    case 'D':
      return 'dir';
    case '6':
      return 'fifo';
    default:
      return undefined;
  }
}

function memberMeta(tree: Tree, info: TarHeader, options: TarOptions, path: string, fallbackMode: number): NodeMeta {
  let mtime = options.mtime ?? info.mtime;
  if (mtime < 0 || mtime > U32_MAX) {
    const clamped = mtime < 0 ? 0 : U32_MAX;
    options.onWarning?.({ code: 'TIME_CLAMPED', message: `mtime ${mtime} of ${JSON.stringify(path)} clamped to ${clamped}`, path });
    mtime = clamped;
  }
  return makeMeta(
    { mode: info.mode, uid: options.uid ?? info.uid, gid: options.gid ?? info.gid, mtime, xattrs: info.xattrs },
    fallbackMode,
    tree.defaults,
    path,
  );
}

/** Inserts a non-directory node; a later member replaces an earlier non-directory (tar semantics). */
function placeNode(tree: Tree, fullPath: string, node: FsNode, options: TarOptions, what: string): void {
  const parts = splitPath(fullPath);
  const name = parts.pop()!;
  validateName(name, fullPath);
  const parent: DirNode = tree.dir(parts.join('/'));
  const existing = parent.entries.get(name);
  if (existing !== undefined) {
    if (existing.kind === 'dir') {
      throw new SquashfsError('DUPLICATE_NAME', `${what}: member ${JSON.stringify(fullPath)} (${node.kind}) would replace a directory`, { path: fullPath });
    }
    options.onWarning?.({ code: 'OTHER', message: `${what}: ${JSON.stringify(fullPath)} appears more than once; the later member wins`, path: fullPath });
  }
  parent.entries.set(name, node);
}

function collectXattrs(pax: Map<string, Uint8Array>, filter: XattrNameFilter, path: string): Map<string, Uint8Array> {
  const xattrs = new Map<string, Uint8Array>();
  for (const [key, value] of pax) {
    let name: string | undefined;
    let bytes: Uint8Array | undefined = value;
    if (key.startsWith('SCHILY.xattr.')) {
      name = key.slice('SCHILY.xattr.'.length);
    } else if (key.startsWith('LIBARCHIVE.xattr.')) {
      name = decodeLibarchiveName(key.slice('LIBARCHIVE.xattr.'.length));
      bytes = decodeBase64(new TextDecoder('latin1').decode(value));
      if (bytes === undefined) throw new SquashfsError('INVALID_ARGUMENT', `corrupt tar archive: xattr ${JSON.stringify(name)} of ${JSON.stringify(path)} is not valid base64`, { path });
    }
    if (name === undefined || xattrs.has(name)) continue;
    if (filter.keep(name, path)) xattrs.set(name, bytes);
  }
  return xattrs;
}

function decodeName(bytes: Uint8Array, what: string, at: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SquashfsError('INVALID_NAME', `${what}: member name ${JSON.stringify(lossy(bytes))} is not valid UTF-8`, { offset: at });
  }
}

function decodeLinkname(bytes: Uint8Array, path: string, what: string, at: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SquashfsError('INVALID_NAME', `${what}: link target of ${JSON.stringify(path)} is not valid UTF-8`, { path, offset: at });
  }
}

/**
 * "./usr//bin/./x/" → "usr/bin/x"; "./" → "". Absolute paths and ".." components are refused:
 * a tar member must stay inside the directory it is unpacked into.
 */
export function normalizeMemberPath(name: string, what = 'tar archive', at?: number): string {
  const fail = (why: string): never => {
    throw new SquashfsError('INVALID_NAME', `${what}: member ${JSON.stringify(name)} ${why}`, { path: name, ...(at === undefined ? {} : { offset: at }) });
  };
  if (name.startsWith('/')) fail('is an absolute path');
  if (name.includes('\0')) fail('contains NUL');
  // Most names need at most a leading "./" and a trailing "/" removed: no split and join then.
  let start = 0;
  while (name.startsWith('./', start)) start += 2;
  let end = name.length;
  if (end > start && name.charCodeAt(end - 1) === 0x2f) end--;
  const trimmed = start === 0 && end === name.length ? name : name.slice(start, end);
  if (!IRREGULAR_PATH.test(trimmed)) return trimmed;
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) fail('contains a ".." component');
  return parts.join('/');
}

/** A path with an empty, "." or ".." component (or a leading or trailing "/"). */
const IRREGULAR_PATH = /(^|\/)(\.\.?)?(\/|$)/;

function splitMember(path: string): string[] {
  return path === '' ? [] : path.split('/');
}

function checkSymlinkEscape(path: string, target: string, what: string, at: number): void {
  if (target.startsWith('/')) {
    throw new SquashfsError('INVALID_NAME', `${what}: symlink ${JSON.stringify(path)} has the absolute target ${JSON.stringify(target)} (strict mode)`, { path, offset: at });
  }
  let depth = path.split('/').length - 1;
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    depth += part === '..' ? -1 : 1;
    if (depth < 0) throw new SquashfsError('INVALID_NAME', `${what}: symlink ${JSON.stringify(path)} -> ${JSON.stringify(target)} points outside the archive (strict mode)`, { path, offset: at });
  }
}


/** A record's bytes up to its first NUL (GNU long names). */
function cStringOf(data: Uint8Array): Uint8Array {
  return cString(data, 0, data.length);
}

function truncated(why: string, offset: number): SquashfsError {
  return new SquashfsError('INVALID_ARGUMENT', `truncated tar archive: ${why} (at byte ${offset})`, { offset, structure: 'tar' });
}
