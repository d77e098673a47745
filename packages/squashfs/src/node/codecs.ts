/**
 * Node codecs: the fast path used by the CLI.
 *
 * - gzip: libdeflate in WASM (compress/deflate-wasm.ts) in worker threads (see below): smaller
 *   blocks than node:zlib's deflate in less CPU time, and the same bytes as the portable codec on
 *   every platform (node:zlib's output depends on the CPU).
 * - zstd: node:zlib `zstdCompressSync` in worker threads where present (Node >= 22.15
 *   / 23.8), with the level, the content-size flag and `pledgedSrcSize` set, so that each block is
 *   one frame whose header carries the content size and whose window is no larger than the block
 *   (format notes §2.10); the async `zstdCompress` on request (`zstdBackend: 'native'`). Older Node:
 *   a worker_threads pool running zstd in WASM (@bokuweb/zstd-wasm).
 * - decompression: node:zlib `inflateSync` / `zstdDecompressSync` with `maxOutputLength` (the
 *   same calls in worker threads for `decompressAsync`); zstd on older Node falls back to the
 *   portable decoder (fzstd).
 *
 * Worker-backed codecs compress the first block on the calling thread (an image of one block starts
 * no worker), and the blocks that come while the started workers are still loading their codec
 * (50-100 ms): the caller does not wait for them. On N cores (N >= 2) they start N - 1 workers
 * and the calling thread is the N-th compressor: it compresses a block itself whenever every
 * worker already has CALLER_RUNS_DEPTH (worker-pool.ts) blocks it has not answered, and otherwise
 * hands the block to the least busy worker. It has its own work (reading, hashing, writing), so it
 * compresses only when the workers are sure to stay busy meanwhile. node:zlib zstd does so only
 * where the call frees its context at once (zstdContextFreedAtOnce); elsewhere one worker per core
 * as before. Against one worker per core: one worker less to start and feed, the same bytes
 * (2026-11-27, 2 cores, Node 24: 25,000 small files 1.6% less wall time and 4% less CPU; 414 MiB
 * of binaries 3% faster with gzip, 1.4% with zstd, both ~18 MB less RSS).
 *
 * Compressed output does not depend on scheduling. gzip images are the same bytes as the portable
 * codecs'; zstd ones the same for a given zstd version (native and WASM zstd may differ).
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { COMPRESSION_ID, smaller, type Codec, type CodecOptions, type CodecProvider, type CompressionName, type Decompressor } from '../compress/codec.js';
import { deflateZlibBlock } from '../compress/deflate-wasm.js';
import { compressorOptions, resolveLevel } from '../compress/levels.js';
import { gzipDecompressor as portableGzip, zstdDecompressor as portableZstd } from '../compress/portable.js';
import { checkZstdFrames } from '../compress/unzstd.js';
import { loadZstdWasm, zstdCompressWasmBlock, zstdWasmLoaded } from '../compress/zstd-wasm.js';
import { SquashfsError } from '../errors.js';
import { DECOMPRESS_WORKER_SOURCE } from './decompress-worker-source.js';
import { zstdContextFreedAtOnce } from './minor-gc-source.js';
import { WASM_WORKER_SOURCE } from './wasm-worker-source.js';
import { CALLER_RUNS_DEPTH, WorkerPool, poolShape } from './worker-pool.js';
import { ZLIB_WORKER_SOURCE } from './zlib-worker-source.js';

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
   * in worker threads and on the calling thread) or 'native' (async `zstdCompress` on the libuv
   * pool; same bytes, but ~25% more CPU time and ~30% more wall time for large binaries on Node
   * 24); elsewhere
   * 'workers' (zstd WASM in worker threads, the default there).
   */
  zstdBackend?: 'native' | 'native-workers' | 'workers';
}

function toUint8(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

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

/**
 * A codec whose blocks are compressed by a pool of worker threads; `compressSync` on this thread,
 * which also compresses the blocks that come before any worker can take them (see
 * WorkerPool.starting: same codec, same bytes) and, with `callerRuns`, those that come while every
 * worker is saturated (WorkerPool.saturated), when `syncReady()` says it can.
 */
function poolCodec(
  name: CompressionName,
  level: number,
  pool: WorkerPool,
  callerRuns: boolean,
  compressSync: (block: Uint8Array) => Uint8Array | null,
  ready?: () => Promise<void>,
  syncReady: () => boolean = () => true,
): Codec {
  return {
    id: COMPRESSION_ID[name],
    name,
    level,
    options: compressorOptions(name, level),
    async compress(block) {
      if (block.length === 0) return null;
      if (syncReady() && (pool.starting() || (callerRuns && pool.saturated(CALLER_RUNS_DEPTH)))) return compressSync(block);
      return smaller(await pool.run(block, level), block);
    },
    compressSync,
    ...(ready === undefined ? {} : { ready }),
    close: () => pool.close(),
  };
}

/** node:zlib `zstdCompressSync` in a pool of worker threads. */
function createZlibZstdWorkers(level: number, cores: number, sync: (block: Uint8Array) => Uint8Array | null): Codec {
  const zc = zlib.constants as unknown as Record<string, number>;
  const data = {
    levelParam: zc['ZSTD_c_compressionLevel'],
    options: { params: { [zc['ZSTD_c_contentSizeFlag']!]: 1, [zc['ZSTD_c_checksumFlag']!]: 0 } },
  };
  // Where node:zlib keeps a zstd call's context (~1 MB at level 15) until V8 collects its handle,
  // the workers free it with a minor GC after each block (minor-gc-source.ts); this thread, whose
  // heap is large, cannot afford that after each block, and the contexts would pile up (Node 22.23,
  // 414 MiB of binaries: 291 MB of RSS instead of 151): there it only feeds the workers.
  const { workers, callerRuns } = poolShape(cores, zstdContextFreedAtOnce());
  return poolCodec('zstd', level, new WorkerPool('zstd', workers, ZLIB_WORKER_SOURCE, data, { resourceLimits: { maxYoungGenerationSizeMb: 4 } }), callerRuns, sync);
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

/** Where a WASM worker loads its module from. */
function wasmWorkerData(name: CompressionName): object {
  const modulePath = createRequire(import.meta.url).resolve(name === 'gzip' ? 'libdeflate' : '@bokuweb/zstd-wasm');
  return name === 'gzip' ? { kind: 'gzip', moduleUrl: pathToFileURL(modulePath).href } : { kind: 'zstd', modulePath };
}

/**
 * gzip (libdeflate) or zstd (@bokuweb/zstd-wasm) in WASM in a pool of worker threads; compressSync
 * runs the same WASM on this thread (zstd: after `ready()`, whatever this Node has natively).
 */
function createWasmWorkers(name: CompressionName, level: number, cores: number): Codec {
  const { workers, callerRuns } = poolShape(cores);
  const pool = new WorkerPool(name, workers, WASM_WORKER_SOURCE, wasmWorkerData(name));
  if (name === 'gzip') return poolCodec(name, level, pool, callerRuns, (block) => deflateZlibBlock(block, level));
  return poolCodec(
    name,
    level,
    pool,
    callerRuns,
    (block) => zstdCompressWasmBlock(block, level),
    async () => {
      if (!zstdWasmLoaded()) await loadZstdWasm();
    },
    zstdWasmLoaded,
  );
}

/** Loads the main-thread zstd WASM so that compressSync() of worker-backed zstd codecs works. */
export async function nodeCodecsReady(): Promise<void> {
  if (!hasNativeZstd() && !zstdWasmLoaded()) await loadZstdWasm();
}

/** An idle decompression worker exits after this long (reading an image keeps them busy). */
const DECOMPRESS_IDLE_EXIT_MS = 1000;
const decompressPools = new Map<CompressionName, WorkerPool>();

/**
 * Where `decompressAsync` and `decompressedLengthAsync` of the node decompressors run: node:zlib's
 * synchronous call in a pool of worker threads (one per core, started on first use, gone after a
 * second without work): several blocks decompress at once, and the calling thread only posts and
 * receives (see decompress-worker-source.ts for why not node:zlib's asynchronous calls).
 */
function decompressPool(kind: 'gzip' | 'zstd'): WorkerPool {
  let pool = decompressPools.get(kind);
  if (pool === undefined) {
    pool = new WorkerPool(kind, availableParallelism(), DECOMPRESS_WORKER_SOURCE, { kind }, { task: 'decompression', failure: 'CORRUPT_IMAGE', idleExitMs: DECOMPRESS_IDLE_EXIT_MS });
    decompressPools.set(kind, pool);
  }
  return pool;
}

const nodeGzipDecompressor: Decompressor = {
  id: COMPRESSION_ID.gzip,
  decompress(data, maxSize) {
    // maxOutputLength must be >= 1; an empty block is rare enough for the portable path.
    if (maxSize < 1) return portableGzip.decompress(data, maxSize);
    return toUint8(zlib.inflateSync(data, { maxOutputLength: maxSize }));
  },
  async decompressAsync(data, maxSize) {
    if (maxSize < 1) return portableGzip.decompress(data, maxSize);
    return decompressPool('gzip').run(data, maxSize);
  },
  async decompressedLengthAsync(data, maxSize) {
    if (maxSize < 1) return portableGzip.decompress(data, maxSize).length;
    return decompressPool('gzip').runForLength(data, maxSize);
  },
  prepareAsync: () => decompressPool('gzip').start(),
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
    async decompressAsync(data, maxSize) {
      if (maxSize < 1) return portableZstd.decompress(data, maxSize);
      checkZstdFrames(data, maxSize);
      return decompressPool('zstd').run(data, maxSize);
    },
    async decompressedLengthAsync(data, maxSize) {
      if (maxSize < 1) return portableZstd.decompress(data, maxSize).length;
      checkZstdFrames(data, maxSize);
      return decompressPool('zstd').runForLength(data, maxSize);
    },
    prepareAsync: () => decompressPool('zstd').start(),
  };
}

export const nodeCodecs: CodecProvider & { createCodec(name: CompressionName, options?: NodeCodecOptions): Codec } = {
  createCodec(name: CompressionName, options: NodeCodecOptions = {}): Codec {
    const level = resolveLevel(name, options.level);
    if (options.concurrency !== undefined && (!Number.isInteger(options.concurrency) || options.concurrency < 1)) {
      throw new SquashfsError('INVALID_ARGUMENT', `codec concurrency must be a positive integer, got ${String(options.concurrency)}`);
    }
    // One compressing thread per core at most (the workers and this thread: poolShape): more
    // blocks in flight (the writer keeps 4 per core) just queue.
    const cores = Math.min(options.concurrency ?? Infinity, availableParallelism());
    if (name === 'gzip') return createWasmWorkers('gzip', level, cores);
    const api = nativeZstdApi();
    const backend = options.zstdBackend ?? (api ? 'native-workers' : 'workers');
    if (backend === 'native' || backend === 'native-workers') {
      if (!api) throw new SquashfsError('UNSUPPORTED', `node:zlib has no zstd in Node ${process.versions.node} (needs >= 22.15)`);
      const native = createNativeZstd(api, level, options.concurrency ?? Infinity);
      if (backend === 'native') return native;
      return createZlibZstdWorkers(level, cores, (block) => native.compressSync(block));
    }
    return createWasmWorkers('zstd', level, cores);
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
