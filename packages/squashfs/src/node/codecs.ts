/**
 * Node codecs: the fast path used by the CLI.
 *
 * - gzip: node:zlib `deflate` (zlib stream, windowBits 15, memLevel 8, default strategy: the
 *   parameters mksquashfs passes to deflateInit2). The async call runs on the libuv threadpool, so
 *   blocks in flight are compressed in parallel; the pool has UV_THREADPOOL_SIZE threads (default 4,
 *   set the variable before start-up to use more cores; it is shared with async fs calls).
 * - zstd: node:zlib `zstdCompressSync` in worker threads (one per core) where present (Node >= 22.15
 *   / 23.8), with the level, the content-size flag and `pledgedSrcSize` set, so that each block is
 *   one frame whose header carries the content size and whose window is no larger than the block
 *   (format notes §2.10); the async `zstdCompress` on request (`zstdBackend: 'native'`). Older Node:
 *   a worker_threads pool running zstd in WASM (@bokuweb/zstd-wasm; one worker per core by default).
 * - decompression: node:zlib `inflateSync` / `zstdDecompressSync` with `maxOutputLength`; zstd on
 *   older Node falls back to the portable decoder (fzstd).
 *
 * Compressed output does not depend on scheduling, so images stay reproducible for a given Node
 * version; portable and Node codecs may produce different (equally valid) bytes.
 */
import { availableParallelism } from 'node:os';
import zlib from 'node:zlib';
import { COMPRESSION_ID, type Codec, type CodecOptions, type CodecProvider, type CompressionName, type Decompressor } from '../compress/codec.js';
import { compressorOptions, resolveLevel } from '../compress/levels.js';
import { gzipDecompressor as portableGzip, zstdDecompressor as portableZstd } from '../compress/portable.js';
import { checkZstdFrames } from '../compress/unzstd.js';
import { loadZstdWasm, zstdCompressWasmBlock, zstdWasmLoaded } from '../compress/zstd-wasm.js';
import { SquashfsError } from '../errors.js';
import { ZLIB_WORKER_SOURCE } from './zlib-worker-source.js';
import { ZstdWorkerPool } from './zstd-pool.js';

type Callback = (error: Error | null, result: Buffer) => void;
interface ZstdOptions {
  chunkSize?: number;
  params?: Record<number, number>;
  pledgedSrcSize?: number;
  maxOutputLength?: number;
}
/** node:zlib zstd API (Node >= 22.15 / 23.8); @types/node 20 does not declare it. */
interface NativeZstd {
  zstdCompress(buf: Uint8Array, options: ZstdOptions, callback: Callback): void;
  zstdCompressSync(buf: Uint8Array, options: ZstdOptions): Buffer;
  zstdDecompressSync(buf: Uint8Array, options: ZstdOptions): Buffer;
  constants: { ZSTD_c_compressionLevel: number; ZSTD_c_contentSizeFlag: number; ZSTD_c_checksumFlag: number };
}

function nativeZstdApi(): NativeZstd | undefined {
  const z = zlib as unknown as Partial<NativeZstd> & { constants: Record<string, number> };
  if (typeof z.zstdCompress !== 'function' || typeof z.zstdDecompressSync !== 'function') return undefined;
  if (z.constants['ZSTD_c_compressionLevel'] === undefined || z.constants['ZSTD_c_contentSizeFlag'] === undefined) return undefined;
  return z as NativeZstd;
}

/** True when node:zlib has zstd (Node >= 22.15 / 23.8); otherwise zstd runs in WASM workers. */
export function hasNativeZstd(): boolean {
  return nativeZstdApi() !== undefined;
}

export interface NodeCodecOptions extends CodecOptions {
  /**
   * zstd implementation where node:zlib has zstd: 'native-workers' (the default: `zstdCompressSync`
   * in worker threads, one per core) or 'native' (async `zstdCompress` on the libuv pool; same bytes,
   * but ~25% more CPU time and ~30% more wall time for large binaries on Node 24); elsewhere
   * 'workers' (zstd WASM in worker threads, the default there).
   */
  zstdBackend?: 'native' | 'native-workers' | 'workers';
  /**
   * gzip implementation: 'async' (node:zlib async calls on the libuv pool; the default) or
   * 'workers' (node:zlib `deflateSync` in worker threads: the default when `concurrency` is given,
   * since the libuv pool does not follow it and an async queue held to N calls leaves gaps between
   * them: 2 of 2 cores ran 20% slower). Same bytes either way.
   */
  gzipBackend?: 'async' | 'workers';
}

function toUint8(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function smaller(output: Uint8Array, input: Uint8Array): Uint8Array | null {
  return output.length < input.length ? output : null;
}

const GZIP_PARAMS = { windowBits: 15, memLevel: 8, strategy: zlib.constants.Z_DEFAULT_STRATEGY } as const;

/**
 * Output buffer size for one async (de)compression call: large enough for the whole result, so the
 * block is done in one trip through the libuv pool (the 16 KiB default takes several trips, each
 * queued behind other work: several times the wall time on a busy pool). Output bytes are the same.
 */
function outputChunk(length: number): number {
  return Math.max(zlib.constants.Z_DEFAULT_CHUNK, length + (length >>> 7) + 1024);
}

/**
 * One node:zlib async call per block (callback API), at most `limit` of them at once, the others
 * queued in call order (the libuv pool has UV_THREADPOOL_SIZE threads, 4 by default, whatever the
 * codec's concurrency says). Without a limit the call is made directly.
 */
function asyncCalls(
  name: CompressionName,
  limit: number,
  call: (block: Uint8Array, done: (error: Error | null, out: Buffer) => void) => void,
): (block: Uint8Array) => Promise<Uint8Array | null> {
  const run = (block: Uint8Array): Promise<Uint8Array | null> =>
    new Promise((resolve, reject) => {
      call(block, (error, out) => {
        if (error) reject(new SquashfsError('IO', `${name} compression failed: ${error.message}`, { cause: error }));
        else resolve(smaller(toUint8(out), block));
      });
    });
  if (limit === Infinity) return run;
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (block) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await run(block);
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

function createGzip(level: number, concurrency: number): Codec {
  const params = { ...GZIP_PARAMS, level };
  const deflate = asyncCalls('gzip', concurrency, (block, done) => zlib.deflate(block, { ...params, chunkSize: outputChunk(block.length) }, done));
  return {
    id: COMPRESSION_ID.gzip,
    name: 'gzip',
    level,
    options: compressorOptions('gzip', level),
    compress(block) {
      if (block.length === 0) return Promise.resolve(null);
      return deflate(block);
    },
    compressSync(block) {
      if (block.length === 0) return null;
      return smaller(toUint8(zlib.deflateSync(block, params)), block);
    },
    async close() {},
  };
}

/** node:zlib sync compression (`deflateSync` / `zstdCompressSync`) in a pool of worker threads. */
function createZlibWorkers(name: 'gzip' | 'zstd', level: number, concurrency: number, sync: (block: Uint8Array) => Uint8Array | null): Codec {
  const zc = zlib.constants as unknown as Record<string, number>;
  const data =
    name === 'gzip'
      ? { kind: 'gzip', options: GZIP_PARAMS }
      : {
          kind: 'zstd',
          levelParam: zc['ZSTD_c_compressionLevel'],
          options: { params: { [zc['ZSTD_c_contentSizeFlag']!]: 1, [zc['ZSTD_c_checksumFlag']!]: 0 } },
        };
  const pool = new ZstdWorkerPool(concurrency, ZLIB_WORKER_SOURCE, data);
  return {
    id: COMPRESSION_ID[name],
    name,
    level,
    options: compressorOptions(name, level),
    async compress(block) {
      if (block.length === 0) return null;
      return smaller(await pool.compress(block, level), block);
    },
    compressSync: sync,
    close: () => pool.close(),
  };
}

function createNativeZstd(api: NativeZstd, level: number, concurrency: number): Codec {
  const options = (block: Uint8Array): ZstdOptions => ({
    chunkSize: outputChunk(block.length),
    pledgedSrcSize: block.length,
    params: {
      [api.constants.ZSTD_c_compressionLevel]: level,
      [api.constants.ZSTD_c_contentSizeFlag]: 1,
      [api.constants.ZSTD_c_checksumFlag]: 0,
    },
  });
  const zstd = asyncCalls('zstd', concurrency, (block, done) => api.zstdCompress(block, options(block), done));
  return {
    id: COMPRESSION_ID.zstd,
    name: 'zstd',
    level,
    options: compressorOptions('zstd', level),
    compress(block) {
      if (block.length === 0) return Promise.resolve(null);
      return zstd(block);
    },
    compressSync(block) {
      if (block.length === 0) return null;
      return smaller(toUint8(api.zstdCompressSync(block, options(block))), block);
    },
    async close() {},
  };
}

function createWorkerZstd(level: number, concurrency: number): Codec {
  const pool = new ZstdWorkerPool(concurrency);
  return {
    id: COMPRESSION_ID.zstd,
    name: 'zstd',
    level,
    options: compressorOptions('zstd', level),
    async compress(block) {
      if (block.length === 0) return null;
      return smaller(await pool.compress(block, level), block);
    },
    /** Runs on the calling thread; needs `await ready()` (or a first compress() of a portable codec). */
    compressSync(block) {
      return zstdCompressWasmBlock(block, level);
    },
    // Whatever this Node has natively: this codec's compressSync runs zstd in WASM on this thread.
    async ready() {
      if (!zstdWasmLoaded()) await loadZstdWasm();
    },
    close: () => pool.close(),
  };
}

/** Loads the main-thread zstd WASM so that compressSync() of worker-backed zstd codecs works. */
export async function nodeCodecsReady(): Promise<void> {
  if (!hasNativeZstd() && !zstdWasmLoaded()) await loadZstdWasm();
}

const nodeGzipDecompressor: Decompressor = {
  id: COMPRESSION_ID.gzip,
  decompress(data, maxSize) {
    // maxOutputLength must be >= 1; an empty block is rare enough for the portable path.
    if (maxSize < 1) return portableGzip.decompress(data, maxSize);
    return toUint8(zlib.inflateSync(data, { maxOutputLength: maxSize }));
  },
};

function nativeZstdDecompressor(api: NativeZstd): Decompressor {
  return {
    id: COMPRESSION_ID.zstd,
    decompress(data, maxSize) {
      if (maxSize < 1) return portableZstd.decompress(data, maxSize);
      // Same acceptance rules as the portable decoder (frame layout, declared sizes, window bound),
      // checked before zstd allocates anything.
      checkZstdFrames(data, maxSize);
      return toUint8(api.zstdDecompressSync(data, { maxOutputLength: maxSize }));
    },
  };
}

export const nodeCodecs: CodecProvider & { createCodec(name: CompressionName, options?: NodeCodecOptions): Codec } = {
  createCodec(name: CompressionName, options: NodeCodecOptions = {}): Codec {
    const level = resolveLevel(name, options.level);
    if (options.concurrency !== undefined && (!Number.isInteger(options.concurrency) || options.concurrency < 1)) {
      throw new SquashfsError('INVALID_ARGUMENT', `codec concurrency must be a positive integer, got ${String(options.concurrency)}`);
    }
    const workers = Math.min(options.concurrency ?? Infinity, availableParallelism());
    if (name === 'gzip') {
      const gzip = createGzip(level, options.concurrency ?? Infinity);
      if ((options.gzipBackend ?? (options.concurrency === undefined ? 'async' : 'workers')) === 'async') return gzip;
      return createZlibWorkers('gzip', level, workers, (block) => gzip.compressSync!(block));
    }
    const api = nativeZstdApi();
    const backend = options.zstdBackend ?? (api ? 'native-workers' : 'workers');
    if (backend === 'native' || backend === 'native-workers') {
      if (!api) throw new SquashfsError('UNSUPPORTED', `node:zlib has no zstd in Node ${process.versions.node} (needs >= 22.15)`);
      const native = createNativeZstd(api, level, options.concurrency ?? Infinity);
      if (backend === 'native') return native;
      return createZlibWorkers('zstd', level, workers, (block) => native.compressSync!(block));
    }
    // One worker per core at most: more blocks in flight (the writer keeps 2 per core) just queue.
    return createWorkerZstd(level, Math.min(options.concurrency ?? Infinity, availableParallelism()));
  },
  decompressor(id: number): Decompressor | undefined {
    if (id === COMPRESSION_ID.gzip) return nodeGzipDecompressor;
    if (id === COMPRESSION_ID.zstd) {
      const api = nativeZstdApi();
      return api ? nativeZstdDecompressor(api) : portableZstd;
    }
    return undefined;
  },
};
