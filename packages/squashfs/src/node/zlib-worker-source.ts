/**
 * Source of a node:zlib zstd worker thread (CommonJS, run with `eval: true` like
 * wasm-worker-source.ts). `workerData` is `{ options, levelParam }`: the options of
 * `zstdCompressSync` without the per-block parts (level, output chunk size, pledged size), which
 * the worker adds. Sets `workerData.ready[0]` to 1 when started. Answers `{ id, param, block }`
 * (param: the level) with `{ id, out }` (a view of zlib's output, its buffer transferred) or
 * `{ id, error }`, handing `block`'s buffer back as `back`, and counts its answers in
 * `workerData.ready[1]`. Same zstd call, same parameters as the async codec: the same bytes.
 * After each block, where the Node version needs it, a minor GC (minor-gc-source.ts; made with the
 * first block).
 */
import { MINOR_GC_SOURCE } from './minor-gc-source.js';

export const ZLIB_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const zlib = require('node:zlib');
const { options, levelParam } = workerData;
${MINOR_GC_SOURCE}
Atomics.store(workerData.ready, 0, 1);
parentPort.on('message', (msg) => {
  prepareCollect();
  try {
    const length = msg.block.length;
    const chunkSize = Math.max(zlib.constants.Z_DEFAULT_CHUNK, length + (length >>> 7) + 1024);
    const params = { ...options.params, [levelParam]: msg.param };
    const out = zlib.zstdCompressSync(msg.block, { ...options, chunkSize, pledgedSrcSize: length, params });
    // The output buffer itself goes to the main thread (a view of zlib's output chunk): moved, not
    // copied, and gone from this thread at once instead of waiting here for a GC, which in a worker
    // that allocates almost nothing else comes rarely (the buffers would pile up, tens of MB per
    // worker). A small Buffer may be a view of the shared pool: that one is copied.
    const own = out.buffer.byteLength > Buffer.poolSize ? out : new Uint8Array(out);
    const view = new Uint8Array(own.buffer, own.byteOffset, own.byteLength);
    // The input buffer goes back to the pool for the next block (no garbage per block).
    parentPort.postMessage({ id: msg.id, out: view, back: msg.block }, [view.buffer, msg.block.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: msg.id, error: String(error), back: msg.block }, [msg.block.buffer]);
  }
  Atomics.add(workerData.ready, 1, 1);
  if (collect) collect(); // after the answer: it does not wait for the GC
});
`;
