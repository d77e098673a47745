/**
 * zstd compression in WASM through @bokuweb/zstd-wasm (zstd built with emscripten, growable heap).
 * Its `compress` is the one-shot `ZSTD_compress`: one frame with the content size in its header,
 * as the kernel needs (format notes §2.10). Start-up is asynchronous (`init()` compiles the WASM);
 * `loadZstdWasm()` does it once. The module registers no process handlers.
 *
 * (zstd-codec, the first choice, has a fixed 16 MiB WASM heap: levels >= 10 on blocks over 512 KiB
 * abort with OOM there, which rules out mksquashfs' default zstd level 15 with 1 MiB blocks.)
 */
import { compress, init } from '@bokuweb/zstd-wasm';
import { SquashfsError } from '../errors.js';
import { smaller } from './codec.js';

let loading: Promise<void> | undefined;
let loaded = false;

/** Loads the zstd WASM module (once); afterwards `zstdCompressWasmSync` works. */
export function loadZstdWasm(): Promise<void> {
  loading ??= init().then(
    () => {
      loaded = true;
    },
    (error: unknown) => {
      loading = undefined;
      throw new SquashfsError('UNSUPPORTED', `cannot load the zstd WASM module: ${String(error)}`, { cause: error });
    },
  );
  return loading;
}

export function zstdWasmLoaded(): boolean {
  return loaded;
}

/** Compresses `block` into one zstd frame with its content size. Requires `loadZstdWasm()` first. */
export function zstdCompressWasmSync(block: Uint8Array, level: number): Uint8Array {
  if (!loaded) {
    throw new SquashfsError('UNSUPPORTED', 'zstd WASM module not loaded yet: await ready() first (or use compress())');
  }
  try {
    return compress(block, level);
  } catch (error) {
    throw new SquashfsError('IO', `zstd compression failed: ${String(error)}`, { cause: error });
  }
}

/**
 * One codec block: the zstd frame of `block`, or null when the block is empty or the frame is not
 * smaller (the block is stored raw). Requires `loadZstdWasm()` first.
 */
export function zstdCompressWasmBlock(block: Uint8Array, level: number): Uint8Array | null {
  return block.length === 0 ? null : smaller(zstdCompressWasmSync(block, level), block);
}
