/**
 * Portable codecs (no node:* imports): gzip through libdeflate (WASM), zstd through
 * @bokuweb/zstd-wasm, decompression through fflate and fzstd. They work anywhere (Node, browsers,
 * Deno, Bun) but run on the calling thread; the Node entry point (`./node`) has parallel ones.
 *
 * zstd compression needs its WASM module loaded, which is asynchronous: `compress()` loads it on
 * first use; `compressSync()` throws until `await ready()` (or a first `compress()`) has finished.
 */
import { COMPRESSION_ID, type Codec, type CodecOptions, type CodecProvider, type CompressionName, type Decompressor } from './codec.js';
import { deflateZlibBlock } from './deflate-wasm.js';
import { inflateZlib } from './inflate.js';
import { compressorOptions, resolveLevel } from './levels.js';
import { decompressZstd } from './unzstd.js';
import { loadZstdWasm, zstdCompressWasmBlock, zstdWasmLoaded } from './zstd-wasm.js';

/** Loads the zstd WASM module so that `compressSync()` of portable zstd codecs works. */
export async function ready(): Promise<void> {
  if (!zstdWasmLoaded()) await loadZstdWasm();
}

/** zlib stream (RFC 1950) as SquashFS "gzip" needs, from libdeflate; null when not smaller. */
export function gzipCompressPortable(block: Uint8Array, level: number): Uint8Array | null {
  return deflateZlibBlock(block, level);
}

function createGzip(level: number): Codec {
  return {
    id: COMPRESSION_ID.gzip,
    name: 'gzip',
    level,
    options: compressorOptions('gzip', level),
    async compress(block) {
      return gzipCompressPortable(block, level);
    },
    compressSync(block) {
      return gzipCompressPortable(block, level);
    },
    async close() {},
  };
}

function createZstd(level: number): Codec {
  const compressSync = (block: Uint8Array): Uint8Array | null => zstdCompressWasmBlock(block, level);
  return {
    id: COMPRESSION_ID.zstd,
    name: 'zstd',
    level,
    options: compressorOptions('zstd', level),
    async compress(block) {
      if (!zstdWasmLoaded()) await loadZstdWasm();
      return compressSync(block);
    },
    compressSync,
    ready,
    async close() {},
  };
}

export const gzipDecompressor: Decompressor = {
  id: COMPRESSION_ID.gzip,
  decompress: inflateZlib,
};

export const zstdDecompressor: Decompressor = {
  id: COMPRESSION_ID.zstd,
  decompress: decompressZstd,
};

export const portableCodecs: CodecProvider = {
  createCodec(name: CompressionName, options: CodecOptions = {}): Codec {
    const level = resolveLevel(name, options.level);
    return name === 'gzip' ? createGzip(level) : createZstd(level);
  },
  decompressor(id: number): Decompressor | undefined {
    if (id === COMPRESSION_ID.gzip) return gzipDecompressor;
    if (id === COMPRESSION_ID.zstd) return zstdDecompressor;
    return undefined;
  },
};
