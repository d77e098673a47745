/**
 * zstd compression through zstd-codec's emscripten WASM build, driven directly (not through its
 * `ZstdCodec.run` wrapper) so that start-up is a promise we can await and the module's console
 * output ("OOM") stays quiet. Compression uses the one-shot `ZSTD_compress`: one frame with the
 * content size in its header, as the kernel needs (format notes §2.10).
 *
 * The WASM build has a fixed 16 MiB heap (its memory declares maximum 256 pages), which is too small
 * for zstd's match tables at levels >= 10 on blocks over 512 KiB; such calls are refused up front
 * with an UNSUPPORTED error instead of aborting the module. The module registers no process handlers.
 */
import bindingFactory from 'zstd-codec/lib/zstd-codec-binding-wasm.js';
import { SquashfsError } from '../errors.js';

interface VectorU8 {
  resize(size: number, fill: number): void;
  delete(): void;
}

interface ZstdBinding {
  ZstdCodec: new () => { compressBound(size: number): number; compress(dst: VectorU8, src: VectorU8, level: number): number };
  VectorU8: new () => VectorU8;
  cloneToVector(dst: VectorU8, src: Uint8Array): void;
  cloneAsTypedArray(src: VectorU8): Uint8Array;
}

interface WasmZstd {
  binding: ZstdBinding;
  codec: InstanceType<ZstdBinding['ZstdCodec']>;
  broken: boolean;
}

let loading: Promise<WasmZstd> | undefined;
let loaded: WasmZstd | undefined;

function load(): Promise<WasmZstd> {
  loading ??= new Promise<WasmZstd>((resolve, reject) => {
    const module: Record<string, unknown> = {
      print: () => {},
      printErr: () => {},
      onAbort: (what: unknown) => reject(new Error(`zstd WASM aborted: ${String(what)}`)),
    };
    module['onRuntimeInitialized'] = () => {
      const binding = module as unknown as ZstdBinding;
      loaded = { binding, codec: new binding.ZstdCodec(), broken: false };
      resolve(loaded);
    };
    try {
      bindingFactory(module);
    } catch (error) {
      reject(error);
    }
  });
  // A failed start may be retried by a later call.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

/** Loads the zstd WASM module (once); afterwards `zstdCompressWasmSync` works. */
export async function loadZstdWasm(): Promise<void> {
  const state = await load();
  if (state.broken) {
    loading = undefined;
    loaded = undefined;
    await load();
  }
}

export function zstdWasmLoaded(): boolean {
  return loaded !== undefined && !loaded.broken;
}

/** Largest block the 16 MiB WASM heap can take at zstd levels >= 10 (tested at every level). */
export const WASM_ZSTD_HIGH_LEVEL_MAX_BLOCK = 512 * 1024;

/** Compresses `block` into one zstd frame with its content size. Requires `loadZstdWasm()` first. */
export function zstdCompressWasmSync(block: Uint8Array, level: number): Uint8Array {
  if (block.length > WASM_ZSTD_HIGH_LEVEL_MAX_BLOCK && level >= 10) {
    throw new SquashfsError(
      'UNSUPPORTED',
      `the portable zstd codec (zstd-codec WASM, 16 MiB heap) cannot compress a ${block.length}-byte block ` +
        `at level ${level}: use a block size of at most 512 KiB, a level up to 9, or Node >= 22.15 (native zstd)`,
    );
  }
  const state = loaded;
  if (state === undefined || state.broken) {
    throw new SquashfsError('UNSUPPORTED', 'zstd WASM module not loaded yet: await ready() first (or use compress())');
  }
  const { binding, codec } = state;
  const src = new binding.VectorU8();
  const dst = new binding.VectorU8();
  try {
    binding.cloneToVector(src, block);
    dst.resize(codec.compressBound(block.length), 0);
    const size = codec.compress(dst, src, level);
    if (size < 0) throw new Error(`ZSTD_compress failed (${size})`);
    dst.resize(size, 0);
    return binding.cloneAsTypedArray(dst);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('ZSTD_compress'))) state.broken = true;
    throw new SquashfsError('IO', `zstd compression failed: ${String(error)}`, { cause: error });
  } finally {
    if (!state.broken) {
      src.delete();
      dst.delete();
    }
  }
}
