import type { Codec } from '../compress/codec.js';
import { portableCodecs } from '../compress/portable.js';
import { SquashfsError } from '../errors.js';
import * as C from '../format/constants.js';
import { encodeExportEntries } from '../format/export-table.js';
import { encodeFragmentEntries } from '../format/fragment-table.js';
import { encodeIdEntries } from '../format/id-table.js';
import { lookupTableBlocks, placeLookupTable } from '../format/lookup-table.js';
import { encodeSuperblock } from '../format/superblock.js';
import { encodeXattrIdEntries, encodeXattrIdTableHeader, type XattrIdEntry } from '../format/xattr-table.js';
import { MemorySink, type ImageSink } from '../io/sink.js';
import { MetadataWriter } from '../metadata/metadata-writer.js';
import { SinkCursor, describe, writeAt } from '../data/block-writer.js';
import { BlockQueue } from '../data/block-queue.js';
import { FileWriter, abortError } from '../data/file-writer.js';
import { ReadAhead } from '../data/read-ahead.js';
import { FragmentPacker } from '../data/fragment-packer.js';
import { defaultDigestHex, defaultHasher } from '../data/sha256.js';
import { hasLazyDirs } from '../tree/lazy.js';
import type { DirNode } from '../tree/node.js';
import type { Tree } from '../tree/tree.js';
import { writeInodesAndDirectories } from './inodes.js';
import type { WriteOptions, WriteResult } from './options.js';
import { DataOrder } from './data-order.js';
import { prepareTree, type PrepareOptions } from './prepare.js';
import { resolveOptions, selectCodec } from './resolve-options.js';

/**
 * Blocks in the ordered write queue per compression job: a deep queue keeps every compressor busy
 * while the oldest block (which is written first) is still being compressed, and across short
 * stalls of the producing thread (a directory scan, a garbage collection). Measured on 2 cores
 * (queue 4 -> 16): large binaries gzip -7%, zstd -5..10%, 25,000 small files -4..7% wall time.
 */
const QUEUE_DEPTH = 4;

const noop = (): void => {};

function rootOf(root: DirNode | Tree): DirNode {
  if (root !== null && typeof root === 'object' && 'kind' in root) return root;
  if (root !== null && typeof root === 'object' && 'root' in root) return root.root;
  throw new SquashfsError('INVALID_ARGUMENT', 'writeImage needs a DirNode or a Tree');
}

function toSquashfsError(e: unknown): SquashfsError {
  if (e instanceof SquashfsError) return e;
  return new SquashfsError('IO', `writing the image failed: ${describe(e)}`, { cause: e });
}

/**
 * Writes a SquashFS 4.0 image of `root` to `sink`.
 *
 * File data streams through (only metadata is held); blocks are compressed `concurrency` at a time
 * and written in order, so the output is byte-identical for the same input. The superblock is
 * written last at offset 0, then the image is padded, `sink.truncate` and `sink.close` are called.
 * On any failure `sink.abort(error)` is called once and a SquashfsError is thrown.
 */
export async function writeImage(root: DirNode | Tree, sink: ImageSink, options: WriteOptions = {}): Promise<WriteResult> {
  let codec: Codec | undefined;
  let owned = false;
  let cursor: SinkCursor | undefined;
  try {
    const o = resolveOptions(options);
    const signal = options.signal;
    if (signal?.aborted) throw abortError(signal);
    const rootNode = rootOf(root);
    const prepareOptions: PrepareOptions = { allRoot: o.allRoot, xattrs: o.xattrs, clampMtime: o.clampMtime, onWarning: options.onWarning };
    // A tree with directories still to be read is walked in data order while its files are
    // written, and prepared (checked, numbered) by that walk as it goes: the scan overlaps
    // compression. Any other tree is prepared before anything is written.
    const lazy = hasLazyDirs(rootNode);
    const early = lazy ? null : prepareTree(rootNode, prepareOptions);
    const selected = selectCodec(options, portableCodecs);
    codec = selected.codec;
    owned = selected.owned;
    // Metadata blocks (8 KiB) compress in the background like data blocks, on every core: each
    // table's writer waits for them only where it needs their positions.
    const background = (b: Uint8Array): Promise<Uint8Array | null> =>
      codec!.compress(b).catch((cause: unknown) => {
        if (cause instanceof SquashfsError) throw cause;
        throw new SquashfsError('IO', `compressing a metadata block failed: ${describe(cause)}`, { cause });
      });

    // Compressor options block, right after the superblock.
    let flags = 0;
    let dataStart = C.SQUASHFS_SUPERBLOCK_SIZE;
    const out = new SinkCursor(sink, dataStart);
    cursor = out;
    if (codec.options !== null && codec.options.length > 0) {
      const block = new Uint8Array(2 + codec.options.length);
      const header = codec.options.length | C.SQUASHFS_METADATA_UNCOMPRESSED;
      block[0] = header & 0xff;
      block[1] = header >>> 8;
      block.set(codec.options, 2);
      await cursor.append(block);
      dataStart = cursor.pos;
      flags |= C.SQUASHFS_COMP_OPT;
    }

    // File data, in inode pre-order (each hard-linked file once). Blocks of consecutive files are
    // compressed concurrently and written in order by one queue; small files are read ahead.
    const queue = new BlockQueue(cursor, o.concurrency * QUEUE_DEPTH);
    const packer = o.fragments ? new FragmentPacker(o.blockSize, codec, queue) : null;
    const files = new FileWriter({
      blockSize: o.blockSize,
      codec,
      cursor,
      queue,
      packer,
      tailEnds: o.tailEnds,
      hasher: o.dedup ? (o.hasher ?? defaultHasher) : null,
      digestHex: o.dedup && o.hasher === undefined ? (defaultDigestHex ?? null) : null,
      ...(signal === undefined ? {} : { signal }),
    });
    const walk = early === null ? new DataOrder(rootNode, prepareOptions) : null;
    const order = early?.files ?? walk!.files;
    const readAhead = new ReadAhead(order);
    try {
      for (let i = 0; ; i++) {
        if (signal?.aborted) throw abortError(signal);
        // Each step is synchronous unless something is pending (a directory loading, a file read
        // ahead, a fragment block queued): no microtask turn per file otherwise.
        if (i >= order.length) {
          const more = walk === null ? false : walk.advance();
          if (!(typeof more === 'boolean' ? more : await more)) break;
        }
        const { path, info } = order[i]!;
        const content = readAhead.content(i);
        const placement = files.write(content instanceof Promise ? await content : content, path);
        info.placement = placement instanceof Promise ? await placement : placement;
        options.onProgress?.({ bytesIn: files.bytesIn, bytesOut: cursor.bytesOut, filesDone: i + 1, filesTotal: early?.files.length });
      }
      await packer?.flush();
    } finally {
      readAhead.cancel();
    }
    const tree = early ?? walk!.finish();
    // The tables are written while the last data blocks are: only a file whose blocks are still
    // on their way waits for them (the others' placements are complete).
    const draining = queue.drainAll();
    draining.catch(noop); // awaited below, or by a file's inode
    const inodes = new MetadataWriter({ background });
    const dirs = new MetadataWriter({ background });
    const exportRefs: number[] = new Array<number>(tree.inodeCount);
    let rootRef: number;
    try {
      rootRef = await writeInodesAndDirectories({ tree, inodes, dirs, allRoot: o.allRoot, clampMtime: o.clampMtime, exportRefs, placed: (p) => Promise.race([files.placed(p), draining]) });
    } catch (e) {
      await draining.catch(noop); // nothing may still be writing when the sink is aborted
      throw e;
    }
    await draining;
    const fragments = packer?.entries ?? [];
    if (signal?.aborted) throw abortError(signal);

    // Every table's blocks compress at once; they are then laid out one after the other.
    const [inodeTable, dirTable, fragBlocks, exportBlocks, idBlocks] = await Promise.all([
      inodes.finishAsync(),
      dirs.finishAsync(),
      lookupTableBlocks(encodeFragmentEntries(fragments).subarray(0, fragments.length * 16), background),
      o.exports ? lookupTableBlocks(encodeExportEntries(exportRefs).subarray(0, exportRefs.length * 8), background) : null,
      lookupTableBlocks(encodeIdEntries(tree.ids).subarray(0, tree.ids.length * 4), background),
    ]);

    const writeChunks = async (chunks: Uint8Array[]): Promise<void> => {
      for (const c of chunks) await out.append(c);
    };
    const inodeTableStart = cursor.pos;
    await writeChunks(inodeTable.chunks);
    const directoryTableStart = cursor.pos;
    await writeChunks(dirTable.chunks);

    // Lookup tables, each index right after its metadata blocks, in the order the kernel walks.
    const fragTable = placeLookupTable(fragBlocks, cursor.pos);
    await writeChunks(fragTable.chunks);
    let lookupTableStart: number | null = null;
    if (exportBlocks !== null) {
      const t = placeLookupTable(exportBlocks, cursor.pos);
      await writeChunks(t.chunks);
      lookupTableStart = t.indexStart;
    }
    const idTable = placeLookupTable(idBlocks, cursor.pos);
    await writeChunks(idTable.chunks);

    let xattrIdTableStart: number | null = null;
    if (tree.xattrSets.length > 0) {
      const kvStart = cursor.pos;
      const kv = new MetadataWriter({ background });
      const sets: { at: number; count: number; size: number }[] = [];
      for (const set of tree.xattrSets) {
        sets.push({ at: kv.blockRef(), count: set.pairs.length, size: set.size });
        for (const pair of set.pairs) kv.write(pair);
      }
      await writeChunks((await kv.finishAsync()).chunks);
      const ids: XattrIdEntry[] = sets.map(({ at, count, size }) => ({ ref: kv.resolve(at), count, size }));
      const idMeta = new MetadataWriter({ background });
      idMeta.write(encodeXattrIdEntries(ids).subarray(0, ids.length * 16));
      const idBlocks = await idMeta.finishAsync();
      const idStart = cursor.pos;
      await writeChunks(idBlocks.chunks);
      xattrIdTableStart = cursor.pos;
      await cursor.append(encodeXattrIdTableHeader(kvStart, ids.length, idBlocks.blockStarts.map((b) => idStart + b)));
    } else if (!o.xattrs) {
      flags |= C.SQUASHFS_NO_XATTR;
    }
    await cursor.settle();
    const bytesUsed = cursor.pos;

    if (o.dedup) flags |= C.SQUASHFS_DUPLICATES;
    if (o.exports) flags |= C.SQUASHFS_EXPORT;
    if (!o.fragments) flags |= C.SQUASHFS_NO_FRAG;
    else if (o.tailEnds) flags |= C.SQUASHFS_ALWAYS_FRAG;
    if (selected.none) flags |= C.SQUASHFS_NOI | C.SQUASHFS_NOD | C.SQUASHFS_NOF | C.SQUASHFS_NOX | C.SQUASHFS_NOID;

    const superblock = encodeSuperblock({
      inodes: tree.inodeCount,
      mkfsTime: o.mkfsTime ?? tree.newestMtime,
      blockSize: o.blockSize,
      fragments: fragments.length,
      compression: codec.id,
      blockLog: o.blockLog,
      flags,
      noIds: tree.ids.length,
      rootInode: rootRef,
      bytesUsed,
      idTableStart: idTable.indexStart,
      xattrIdTableStart,
      inodeTableStart,
      directoryTableStart,
      fragmentTableStart: fragTable.indexStart,
      lookupTableStart,
    });

    const size = o.padding > 1 ? Math.ceil(bytesUsed / o.padding) * o.padding : bytesUsed;
    if (size > bytesUsed) await writeAt(sink, new Uint8Array(size - bytesUsed), bytesUsed);
    if (signal?.aborted) throw abortError(signal);
    await writeAt(sink, superblock, 0);
    if (sink.truncate !== undefined) {
      try {
        await sink.truncate(size);
      } catch (cause) {
        throw new SquashfsError('IO', `truncating the image to ${size} bytes failed: ${describe(cause)}`, { cause });
      }
    }
    try {
      await sink.close();
    } catch (cause) {
      throw new SquashfsError('IO', `closing the image failed: ${describe(cause)}`, { cause });
    }
    return {
      size,
      bytesUsed,
      inodes: tree.inodeCount,
      fragments: fragments.length,
      ids: tree.ids.length,
      duplicates: files.duplicates,
      sparseBlocks: files.sparseBlocks,
    };
  } catch (e) {
    const error = toSquashfsError(e);
    try {
      await cursor?.settle(); // no write may still be running when the sink is aborted
    } catch {
      // the first error is the one reported
    }
    try {
      await sink.abort(error);
    } catch {
      // the original error is what the caller needs
    }
    throw error;
  } finally {
    if (owned && codec !== undefined) {
      try {
        await codec.close();
      } catch {
        // closing a codec we created cannot change the outcome
      }
    }
  }
}

/** Writes the image into memory and returns its bytes (a MemorySink convenience). */
export async function writeImageToBytes(root: DirNode | Tree, options: WriteOptions = {}): Promise<Uint8Array> {
  const sink = new MemorySink();
  await writeImage(root, sink, options);
  return sink.bytes();
}
