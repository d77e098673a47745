/**
 * Source of a node:zlib zstd worker thread (CommonJS, run with `eval: true` like
 * wasm-worker-source.ts). `workerData` is `{ options, levelParam }`: the options of
 * `zstdCompressSync` without the per-block parts (level, output chunk size, pledged size), which
 * the worker adds. Sets `workerData.ready[0]` to 1 when started. Answers `{ id, param, block }`
 * (param: the level) with `{ id, out }` (a view of zlib's output, its buffer transferred) or
 * `{ id, error }`, handing `block`'s buffer back as `back`. Same zstd call, same parameters as the async codec: the same bytes.
 */
export const ZLIB_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const zlib = require('node:zlib');
const { options, levelParam } = workerData;
// Before nodejs/node#61717 (Node 24.15; not in Node 22 as of 22.23, nor 25), a zstdCompressSync
// call's zstd context (~1 MB at level 15) is freed only when V8 collects the call's handle object,
// and V8 is not told about that memory: in this thread, which allocates almost nothing else, GCs
// come rarely and the contexts piled up (1.2 GB of RSS for 25,000 small files), each in fresh
// pages (page faults: 2-3x the system time). There a minor GC after every block frees the
// context at once (then reused, as a fixed Node does); elsewhere it would only cost time (~3% with
// small blocks). gc() comes from a context made while --expose-gc is set, unset again at once (or
// is the process's own under node --expose-gc, whose flag is then left alone).
const collect = (() => {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 25 || (major === 24 && minor >= 15)) return null;
  if (typeof globalThis.gc === 'function') return () => globalThis.gc({ type: 'minor' }); // node --expose-gc
  const v8 = require('node:v8');
  const vm = require('node:vm');
  // Another worker starting at the same moment may unset the flag between our setting it and the
  // new context (~5% of workers when two start together): try again.
  for (let attempt = 0; attempt < 20; attempt++) {
    let gc;
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('typeof gc === "function" ? gc : undefined');
    } catch {
      return null;
    } finally {
      v8.setFlagsFromString('--no-expose-gc');
    }
    if (typeof gc === 'function') return () => gc({ type: 'minor' });
  }
  return null;
})();
Atomics.store(workerData.ready, 0, 1);
parentPort.on('message', (msg) => {
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
  if (collect !== null) collect(); // after the answer: it does not wait for the GC
});
`;
