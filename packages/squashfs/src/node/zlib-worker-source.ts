/**
 * Source of a node:zlib compression worker thread (CommonJS, run with `eval: true` like
 * zstd-worker-source.ts). `workerData` is `{ kind: 'gzip' | 'zstd', options }`: the options of
 * `deflateSync` or `zstdCompressSync` without the per-block parts (level, output chunk size, the
 * zstd pledged size), which the worker adds. Answers `{ id, level, block }` with `{ id, out }` (a
 * view of zlib's output, its buffer transferred) or `{ id, error }`, handing `block`'s buffer back
 * as `back`. Same zlib calls, same parameters as the async codecs: the same bytes.
 */
export const ZLIB_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const zlib = require('node:zlib');
const { kind, options, levelParam } = workerData;
parentPort.on('message', (msg) => {
  try {
    const length = msg.block.length;
    const chunkSize = Math.max(zlib.constants.Z_DEFAULT_CHUNK, length + (length >>> 7) + 1024);
    let out;
    if (kind === 'gzip') {
      out = zlib.deflateSync(msg.block, { ...options, level: msg.level, chunkSize });
    } else {
      out = zlib.zstdCompressSync(msg.block, { ...options, chunkSize, pledgedSrcSize: length, params: { ...options.params, [levelParam]: msg.level } });
    }
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
});
`;
