import type { Codec, CodecProvider } from '../compress/codec.js';
import { SquashfsError } from '../errors.js';
import { SQUASHFS_DEFAULT_BLOCK_SIZE, SQUASHFS_MAX_BLOCK_SIZE, SQUASHFS_MIN_BLOCK_SIZE, SQUASHFS_ZLIB, U32_MAX } from '../format/constants.js';
import type { Hasher } from '../data/sha256.js';
import type { WriteOptions } from './options.js';

export interface ResolvedOptions {
  blockSize: number;
  blockLog: number;
  fragments: boolean;
  tailEnds: boolean;
  dedup: boolean;
  xattrs: boolean;
  exports: boolean;
  allRoot: boolean;
  mkfsTime: number | undefined;
  clampMtime: number | undefined;
  padding: number;
  concurrency: number;
  hasher: (() => Hasher) | undefined;
}

function invalid(message: string): SquashfsError {
  return new SquashfsError('INVALID_ARGUMENT', message);
}

function u32Option(v: number | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 0 || v > U32_MAX) throw invalid(`${name} ${v} is not an integer in 0..${U32_MAX}`);
  return v;
}

/** Default parallelism without node:os: 2 x navigator.hardwareConcurrency where available, else 4. */
export function defaultConcurrency(): number {
  const hc = (globalThis as { navigator?: { hardwareConcurrency?: unknown } }).navigator?.hardwareConcurrency;
  return typeof hc === 'number' && Number.isInteger(hc) && hc > 0 ? 2 * hc : 4;
}

/** Validates every option up front (INVALID_ARGUMENT) and fills in the defaults. */
export function resolveOptions(o: WriteOptions): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw invalid('options must be an object');
  const blockSize = o.blockSize ?? SQUASHFS_DEFAULT_BLOCK_SIZE;
  if (!Number.isInteger(blockSize) || blockSize < SQUASHFS_MIN_BLOCK_SIZE || blockSize > SQUASHFS_MAX_BLOCK_SIZE || (blockSize & (blockSize - 1)) !== 0) {
    throw invalid(`blockSize ${blockSize} must be a power of two from ${SQUASHFS_MIN_BLOCK_SIZE} to ${SQUASHFS_MAX_BLOCK_SIZE}`);
  }
  const padding = o.padding ?? 4096;
  if (!Number.isInteger(padding) || padding < 0 || padding > 1 << 30) throw invalid(`padding ${padding} must be an integer in 0..2^30`);
  const concurrency = o.concurrency ?? defaultConcurrency();
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 4096) throw invalid(`concurrency ${concurrency} must be an integer in 1..4096`);
  if (o.hasher !== undefined && typeof o.hasher !== 'function') throw invalid('hasher must be a function');
  const compression = o.compression ?? 'gzip';
  if (typeof compression === 'string') {
    if (compression !== 'gzip' && compression !== 'zstd' && compression !== 'none') throw invalid(`unknown compression ${JSON.stringify(compression)} (gzip, zstd or none)`);
    if (o.level !== undefined) {
      const [lo, hi] = compression === 'zstd' ? [1, 22] : [1, 9];
      if (compression === 'none') throw invalid('level cannot be set with compression "none"');
      if (!Number.isInteger(o.level) || o.level < lo || o.level > hi) throw invalid(`${compression} level ${o.level} must be an integer in ${lo}..${hi}`);
    }
  } else if (compression === null || typeof compression !== 'object' || typeof compression.compress !== 'function') {
    throw invalid('compression must be "gzip", "zstd", "none" or a Codec');
  } else if (o.level !== undefined) {
    throw invalid('level cannot be combined with a ready Codec (the codec has its own level)');
  }
  return {
    blockSize,
    blockLog: Math.log2(blockSize),
    fragments: o.fragments ?? true,
    tailEnds: o.tailEnds ?? true,
    dedup: o.dedup ?? true,
    xattrs: o.xattrs ?? true,
    exports: o.exports ?? true,
    allRoot: o.allRoot ?? false,
    mkfsTime: u32Option(o.mkfsTime, 'mkfsTime'),
    clampMtime: u32Option(o.clampMtime, 'clampMtime'),
    padding,
    concurrency,
    hasher: o.hasher,
  };
}

/** A codec that stores every block raw (compression "none"); the superblock still says gzip. */
export const noneCodec: Codec = {
  id: SQUASHFS_ZLIB,
  name: 'gzip',
  level: 0,
  options: null,
  compress: async () => null,
  compressSync: () => null,
  close: async () => {},
};

/**
 * The codec to use and whether the writer owns (and must close) it. The codec gets the caller's
 * `concurrency` only when one was given: by default each codec runs as many compressions at once
 * as suits it (worker pools one compressing thread per core; node:zlib's async calls as many as
 * the libuv pool runs).
 */
export function selectCodec(o: WriteOptions, fallback: CodecProvider | undefined): { codec: Codec; owned: boolean; none: boolean } {
  const compression = o.compression ?? 'gzip';
  if (typeof compression === 'object') return { codec: compression, owned: false, none: false };
  if (compression === 'none') return { codec: noneCodec, owned: false, none: true };
  const provider = o.codecs ?? fallback;
  if (provider === undefined) throw new SquashfsError('UNSUPPORTED', `no codec provider for ${compression}: pass options.codecs or a Codec`);
  const codec = provider.createCodec(compression, { ...(o.level === undefined ? {} : { level: o.level }), ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }) });
  return { codec, owned: true, none: false };
}
