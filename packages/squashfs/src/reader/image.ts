import type { CodecProvider, Decompressor } from '../compress/codec.js';
import { SquashfsError } from '../errors.js';
import type { ImageSource } from '../io/sink.js';
import { corrupt } from './corrupt.js';
import { u32 } from './bytes.js';
import { SUPERBLOCK_SIZE } from './constants.js';
import { decodeCompressorOptions } from './compressor-options.js';
import { fileChunks, type DataContext } from './data.js';
import { readListing, type DirEntry, type Listing } from './directory.js';
import { entryStat, type EntryStat } from './entry.js';
import { decodeInode, type DirInode, type FileInode, type Inode, type InodeContext } from './inode.js';
import { resolveLimits, type ReaderLimits, type ResolvedLimits } from './limits.js';
import { MetaCursor, MetadataReader } from './metadata.js';
import { readExact } from './source.js';
import { decodeSuperblock, type Superblock } from './superblock.js';
import { readLayout, type Layout } from './tables.js';
import { readXattrs } from './xattr.js';
import { defaultCodecs } from './default-codecs.js';

export interface OpenOptions {
  /** Decompressors by superblock id (default: the portable pure-JS codecs). */
  codecs?: CodecProvider;
  limits?: ReaderLimits;
}

interface CachedListing {
  listing: Listing;
  byName: Map<string, DirEntry>;
}

/** Splits an image path ("/usr/bin", "usr/bin/", "") into components. */
function components(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new SquashfsError('INVALID_ARGUMENT', `path ${JSON.stringify(path)} contains ".."`, { path });
  return parts;
}

/**
 * A read-only SquashFS 4.0 image. Every structure is bounds-checked as it is read; a malformed
 * image ends in SquashfsError CORRUPT_IMAGE (with `structure` and `offset`), never in a crash.
 */
export class SquashfsImage {
  readonly superblock: Superblock;
  readonly source: ImageSource;
  readonly layout: Layout;
  /** uid/gid values of the id table. */
  readonly ids: readonly number[];
  readonly limits: ResolvedLimits;
  /** Shared metadata block cache (exposed for verify statistics). */
  readonly meta: MetadataReader;
  readonly decompressor: Decompressor;
  private readonly inodeContext: InodeContext;
  private readonly dataContext: DataContext;
  private readonly listings = new Map<number, CachedListing>();

  private constructor(
    source: ImageSource,
    superblock: Superblock,
    layout: Layout,
    ids: number[],
    limits: ResolvedLimits,
    meta: MetadataReader,
    decompressor: Decompressor,
  ) {
    this.source = source;
    this.superblock = superblock;
    this.layout = layout;
    this.ids = ids;
    this.limits = limits;
    this.meta = meta;
    this.decompressor = decompressor;
    this.inodeContext = {
      blockSize: superblock.blockSize,
      inodes: superblock.inodes,
      noIds: superblock.noIds,
      fragments: superblock.fragments,
      xattrIds: layout.xattr?.ids.count ?? 0,
      directoryTableLength: layout.directoryTable.end - layout.directoryTable.start,
      maxSymlinkBytes: limits.maxSymlinkBytes,
      maxBlocksPerFile: limits.maxBlocksPerFile,
    };
    this.dataContext = {
      source,
      decompressor,
      blockSize: superblock.blockSize,
      bytesUsed: superblock.bytesUsed,
      fragments: layout.fragments,
      fragmentCache: new Map(),
      fragmentLengths: new Map(),
    };
  }

  static async open(source: ImageSource, options: OpenOptions = {}): Promise<SquashfsImage> {
    const limits = resolveLimits(options.limits);
    const size = source.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new SquashfsError('INVALID_ARGUMENT', `image source size ${size} is not a byte count`);
    const head = await readExact(source, 0, Math.min(SUPERBLOCK_SIZE, size), size, 'superblock');
    const sb = decodeSuperblock(head, size);
    const provider = options.codecs ?? (await defaultCodecs());
    const decompressor = provider.decompressor(sb.compression);
    if (decompressor === undefined) {
      throw new SquashfsError('UNSUPPORTED', `no decompressor for ${sb.compressionName} (id ${sb.compression})`, { structure: 'superblock', offset: 20 });
    }
    const meta = new MetadataReader(source, decompressor, sb.bytesUsed, limits.metadataCacheBlocks);
    let dataStart = SUPERBLOCK_SIZE;
    if (sb.decodedFlags.compressorOptions) {
      const blk = await meta.block(SUPERBLOCK_SIZE, sb.inodeTableStart, 'compression options');
      sb.compressorOptions = decodeCompressorOptions(sb.compression, blk.data, SUPERBLOCK_SIZE);
      dataStart = blk.next;
    }
    const layout = await readLayout(source, meta, sb, dataStart);
    const ids: number[] = [];
    for (let b = 0; b < layout.ids.pointers.length; b++) {
      const data = await layout.ids.blockData(b);
      for (let o = 0; o < data.length; o += 4) ids.push(u32(data, o));
    }
    const image = new SquashfsImage(source, sb, layout, ids, limits, meta, decompressor);
    const root = await image.inode(sb.rootInode);
    if (root.kind !== 'dir') throw corrupt('inode table', sb.inodeTableStart, `root inode is a ${root.kind}, not a directory`);
    return image;
  }

  // ----- low-level access (used by inspect, verify and extract) -----

  /** Decodes the inode at a reference (block relative to the inode table * 65536 + offset). */
  async inode(ref: number): Promise<Inode> {
    const { start, end } = this.layout.inodeTable;
    const cur = new MetaCursor(this.meta, 'inode table', start, end, Math.floor(ref / 65536), ref % 65536);
    return decodeInode(cur, this.inodeContext, start);
  }

  /** Decodes the inode at the cursor position and returns where the next one starts (verify's sequential scan). */
  async inodeAtCursor(cur: MetaCursor): Promise<Inode> {
    return decodeInode(cur, this.inodeContext, this.layout.inodeTable.start);
  }

  async rootInode(): Promise<DirInode> {
    return (await this.inode(this.superblock.rootInode)) as DirInode;
  }

  /** The parsed listing of a directory inode (cached). */
  async listing(dir: DirInode): Promise<Listing> {
    return (await this.cachedListing(dir)).listing;
  }

  private async cachedListing(dir: DirInode): Promise<CachedListing> {
    const hit = this.listings.get(dir.ref);
    if (hit !== undefined) return hit;
    const listing = await readListing(
      {
        meta: this.meta,
        directoryTable: this.layout.directoryTable,
        inodeTableLength: this.layout.inodeTable.end - this.layout.inodeTable.start,
        inodes: this.superblock.inodes,
        maxEntries: this.limits.maxDirectoryEntries,
      },
      dir,
    );
    const byName = new Map<string, DirEntry>();
    for (const e of listing.entries) if (!byName.has(e.name)) byName.set(e.name, e);
    const cached = { listing, byName };
    this.listings.set(dir.ref, cached);
    if (this.listings.size > this.limits.listingCacheSize) this.listings.delete(this.listings.keys().next().value as number);
    return cached;
  }

  /** uid or gid value for an id-table index (already range-checked by the inode decoder). */
  id(index: number): number {
    return this.ids[index]!;
  }

  async xattrsOf(inode: Inode): Promise<Map<string, Uint8Array>> {
    if (inode.xattr === null || this.layout.xattr === null) return new Map();
    return (await readXattrs(this.meta, this.layout.xattr, inode.xattr, this.limits)).values;
  }

  async statOf(inode: Inode, path: string, name: string): Promise<EntryStat> {
    return entryStat(inode, path, name, this.id(inode.uidIndex), this.id(inode.gidIndex), await this.xattrsOf(inode));
  }

  /** Data of a regular-file inode, block by block. */
  chunks(file: FileInode): AsyncGenerator<Uint8Array> {
    return fileChunks(this.dataContext, file);
  }

  get dataAccess(): DataContext {
    return this.dataContext;
  }

  /** Resolves a path to its inode without following symlinks. */
  async lookup(path: string): Promise<{ inode: Inode; path: string; name: string }> {
    const parts = components(path);
    let inode: Inode = await this.rootInode();
    const seen: string[] = [];
    for (const part of parts) {
      if (inode.kind !== 'dir') {
        throw new SquashfsError('NOT_A_DIRECTORY', `${JSON.stringify(seen.join('/'))} is not a directory`, { path });
      }
      const entry = (await this.cachedListing(inode)).byName.get(part);
      if (entry === undefined) throw new SquashfsError('NOT_FOUND', `no such entry ${JSON.stringify(path)} in the image`, { path });
      seen.push(part);
      inode = await this.inode(entry.inodeRef);
    }
    return { inode, path: parts.join('/'), name: parts.length > 0 ? parts[parts.length - 1]! : '' };
  }

  // ----- public file-system API -----

  async stat(path: string): Promise<EntryStat> {
    const { inode, path: p, name } = await this.lookup(path);
    return this.statOf(inode, p, name);
  }

  async readdir(path: string): Promise<EntryStat[]> {
    const { inode, path: p } = await this.lookup(path);
    if (inode.kind !== 'dir') throw new SquashfsError('NOT_A_DIRECTORY', `${JSON.stringify(path)} is not a directory`, { path });
    const out: EntryStat[] = [];
    for (const e of (await this.cachedListing(inode)).listing.entries) {
      out.push(await this.statOf(await this.inode(e.inodeRef), p === '' ? e.name : `${p}/${e.name}`, e.name));
    }
    return out;
  }

  /**
   * Every entry, pre-order, the root first as "". Iterative (no recursion); a directory inode met
   * twice (a loop, or a directory hard link) is CORRUPT_IMAGE.
   */
  async *walk(): AsyncGenerator<EntryStat> {
    const root = await this.rootInode();
    yield await this.statOf(root, '', '');
    const visited = new Set<number>([root.ref]);
    const stack: { path: string; entries: DirEntry[]; next: number }[] = [
      { path: '', entries: (await this.listing(root)).entries, next: 0 },
    ];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next >= top.entries.length) {
        stack.pop();
        continue;
      }
      const e = top.entries[top.next++]!;
      const path = top.path === '' ? e.name : `${top.path}/${e.name}`;
      const inode = await this.inode(e.inodeRef);
      yield await this.statOf(inode, path, e.name);
      if (inode.kind === 'dir') {
        if (visited.has(inode.ref)) {
          throw corrupt('directory table', this.layout.directoryTable.start + inode.startBlock, `directory ${JSON.stringify(path)} appears twice in the tree (loop or directory hard link)`);
        }
        visited.add(inode.ref);
        stack.push({ path, entries: (await this.listing(inode)).entries, next: 0 });
      }
    }
  }

  private async regularFile(path: string): Promise<FileInode> {
    const { inode } = await this.lookup(path);
    if (inode.kind !== 'file') throw new SquashfsError('INVALID_ARGUMENT', `${JSON.stringify(path)} is a ${inode.kind}, not a regular file`, { path });
    return inode;
  }

  async readFile(path: string): Promise<Uint8Array> {
    const file = await this.regularFile(path);
    if (file.fileSize > this.limits.maxReadFileBytes) {
      throw new SquashfsError('LIMIT_EXCEEDED', `${JSON.stringify(path)} has ${file.fileSize} bytes, above maxReadFileBytes (${this.limits.maxReadFileBytes}); use createReadStream`, { path });
    }
    const out = new Uint8Array(file.fileSize);
    let filled = 0;
    for await (const chunk of this.chunks(file)) {
      out.set(chunk, filled);
      filled += chunk.length;
    }
    if (filled !== file.fileSize) throw corrupt('inode table', this.layout.inodeTable.start, `file ${JSON.stringify(path)}: ${filled} bytes of ${file.fileSize}`);
    return out;
  }

  async *createReadStream(path: string): AsyncGenerator<Uint8Array> {
    const file = await this.regularFile(path);
    yield* this.chunks(file);
  }

  async readlink(path: string): Promise<string> {
    const st = await this.stat(path);
    if (st.kind !== 'symlink') throw new SquashfsError('INVALID_ARGUMENT', `${JSON.stringify(path)} is a ${st.kind}, not a symlink`, { path });
    return st.target!;
  }

  async close(): Promise<void> {
    this.listings.clear();
    await this.source.close?.();
  }
}
