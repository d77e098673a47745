/**
 * Block codecs. SquashFS compresses each data block, fragment block and metadata block on its own.
 * The core never imports node:zlib or WASM directly: a codec is passed in (see `./node` for the
 * parallel Node codecs and `portable.ts` for the pure-JS ones).
 */

/** SquashFS compressor ids (superblock `compression`). */
export const COMPRESSION_ID = { gzip: 1, lzma: 2, lzo: 3, xz: 4, lz4: 5, zstd: 6 } as const;
export type CompressionName = 'gzip' | 'zstd';

export interface Codec {
  /** Superblock compressor id (1 gzip = zlib stream, 6 zstd). */
  readonly id: number;
  readonly name: CompressionName;
  readonly level: number;
  /**
   * Payload of the compressor-options metadata block, or null when the options are the ones
   * squashfs-tools implies without it (gzip level 9 / window 15 / no strategies; zstd level 15),
   * as mksquashfs omits them.
   */
  readonly options: Uint8Array | null;
  /**
   * Compresses one block (data, fragment or metadata). Resolves to the compressed bytes, or to
   * null when compression does not make the block smaller (the caller stores it raw).
   * Many calls may be in flight at once; implementations run them in parallel.
   * zstd output is one complete frame with the content size in its header. The result must be
   * memory of its own: once the compressed bytes are written, the writer reuses `block`'s buffer.
   */
  compress(block: Uint8Array): Promise<Uint8Array | null>;
  /**
   * Synchronous variant (the same bytes), for callers that compress on their own thread; the
   * image writer does not need it (metadata blocks go through `compress` too). May throw until
   * `ready()` resolved.
   */
  compressSync(block: Uint8Array): Uint8Array | null;
  /** Resolves once `compressSync` works (e.g. a WASM module is loaded); absent: it always works. */
  ready?(): Promise<void>;
  /** Releases worker threads or native handles. */
  close(): Promise<void>;
}

/** A codec's result for `block`: `output` when it is smaller, else null (the block is stored raw). */
export function smaller(output: Uint8Array, block: Uint8Array): Uint8Array | null {
  return output.length < block.length ? output : null;
}

export interface Decompressor {
  readonly id: number;
  /**
   * Decompresses one block. Must throw (any error) if the output would exceed `maxSize` bytes or
   * the input is not a valid stream of this codec.
   */
  decompress(data: Uint8Array, maxSize: number): Uint8Array;
  /**
   * The same, off the calling thread (the node decompressors: worker threads), so that several
   * blocks decompress at once: the reader reads data and fragment blocks this way when present.
   */
  decompressAsync?(data: Uint8Array, maxSize: number): Promise<Uint8Array>;
  /**
   * Decompresses off the calling thread and returns only how many bytes the block holds, failing
   * where `decompress` would: `verifyImage` checks data blocks this way when present (the bytes
   * never come back to the calling thread, nor their garbage).
   */
  decompressedLengthAsync?(data: Uint8Array, maxSize: number): Promise<number>;
  /**
   * Starts what the asynchronous calls need (the node decompressors: their worker threads, ~50-100
   * ms) without waiting for it: a caller about to use them calls this first, so that meanwhile it
   * does other work instead of waiting at the first call. Unused, they go again on their own.
   */
  prepareAsync?(): void;
}

export interface CodecOptions {
  level?: number;
  /**
   * How many blocks may be compressed at once. Default: what suits the codec (worker pools: one
   * compressing thread per core, the caller's among them; node:zlib's async calls: as many as the
   * libuv pool runs, 4 threads by default).
   */
  concurrency?: number;
}

/** Creates codecs by name; an environment (Node, browser) supplies one. */
export interface CodecProvider {
  createCodec(name: CompressionName, options?: CodecOptions): Codec;
  /** Decompressor for a superblock compressor id, or undefined if unsupported. */
  decompressor(id: number): Decompressor | undefined;
}

/**
 * Levels used when none is given. gzip 7: libdeflate's level 7 gives images no larger than
 * mksquashfs's default (zlib level 9) in a quarter of its CPU time on Go binaries (bench/README).
 * zstd 14, one below mksquashfs's default 15: on 128 KiB blocks of Go binaries 14% less CPU time
 * for 0.5% more bytes (414 MiB: 117.37 MB against 116.79 MB), on small text files 3% less for
 * 0.05% more (2026-11-27, zstd 1.5.7; level 15 is one `level` option away).
 */
export const DEFAULT_LEVEL: Record<CompressionName, number> = { gzip: 7, zstd: 14 };

/**
 * The level squashfs-tools assumes for an image without a compressor-options block (mksquashfs
 * omits the block at these levels; so do we).
 */
export const IMPLIED_LEVEL: Record<CompressionName, number> = { gzip: 9, zstd: 15 };
