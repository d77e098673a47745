/**
 * gzip compression (the zlib stream SquashFS calls "gzip") in WASM through the `libdeflate` package:
 * Eric Biggers' libdeflate built with emscripten, its WASM embedded in the module and instantiated
 * synchronously on first use. Any valid zlib stream is a valid SquashFS gzip block (the kernel and
 * unsquashfs inflate it with zlib); libdeflate's is smaller and cheaper than zlib's:
 * on 128 KiB blocks of the bench's Go binaries, level 7 is 0.4% smaller than upstream zlib level 9
 * (what mksquashfs writes) at 40% of the CPU time of Node's zlib level 9, which is 2% larger than
 * upstream's (Chromium's zlib hashes 4-byte strings).
 *
 * One implementation on every platform, Node version and CPU gives the same bytes everywhere (Node's
 * zlib output depends on the CPU: Chromium's zlib switches its hash with SIMD support). The version
 * is pinned exactly in package.json, since another libdeflate may compress differently.
 */
import { zlib as libdeflateZlib } from 'libdeflate';
import { SquashfsError } from '../errors.js';
import { smaller } from './codec.js';

/** The part of Node's `process` used here (absent in browsers). */
type ProcessLike = {
  listeners(event: string): unknown[];
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
};

const HOST_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
let loaded = false;

/**
 * Runs `load` and removes the process error listeners it added. The emscripten glue of the
 * `libdeflate` package, when it starts under Node, adds 'uncaughtException' and
 * 'unhandledRejection' listeners that rethrow: that would change how the host program's own errors
 * end the process (exit code 7 instead of 1, its own listeners' order). A library must not.
 */
function withoutNewProcessListeners<T>(load: () => T): T {
  const proc = (globalThis as { process?: Partial<ProcessLike> }).process;
  if (typeof proc?.listeners !== 'function' || typeof proc.removeListener !== 'function') return load();
  const host = proc as ProcessLike;
  const before = HOST_EVENTS.map((event) => new Set(host.listeners(event)));
  try {
    return load();
  } finally {
    HOST_EVENTS.forEach((event, i) => {
      for (const listener of host.listeners(event)) {
        if (!before[i]!.has(listener)) host.removeListener(event, listener as (...args: unknown[]) => void);
      }
    });
  }
}

/** Instantiates the WASM module (synchronously, once). */
function load(): void {
  if (loaded) return;
  withoutNewProcessListeners(() => libdeflateZlib(new Uint8Array(0), 1));
  loaded = true;
}

/** The zlib stream of `block` at libdeflate `level` (1-12). */
export function deflateZlibSync(block: Uint8Array, level: number): Uint8Array {
  load();
  try {
    return libdeflateZlib(block, level);
  } catch (error) {
    throw new SquashfsError('IO', `gzip compression failed: ${String(error)}`, { cause: error });
  }
}

/**
 * One codec block: the zlib stream of `block`, or null when the block is empty or the stream is not
 * smaller (the block is stored raw).
 */
export function deflateZlibBlock(block: Uint8Array, level: number): Uint8Array | null {
  return block.length === 0 ? null : smaller(deflateZlibSync(block, level), block);
}
