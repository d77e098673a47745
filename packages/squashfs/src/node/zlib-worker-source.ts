/**
 * Source of a node:zlib compression worker thread (CommonJS, run with `eval: true` like
 * zstd-worker-source.ts). `workerData` is `{ kind: 'gzip' | 'zstd', options }`: the options of
 * `deflateSync` or `zstdCompressSync` without the per-block parts (level, output chunk size, the
 * zstd pledged size), which the worker adds. Answers `{ id, level, block }` with `{ id, out }` (a
 * transferred buffer of its own) or `{ id, error }`, handing `block`'s buffer back as `back`. Same zlib calls, same parameters as the async
 * codecs: the same bytes.
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
    // A buffer of its own to transfer (a small Buffer may be a view of the shared pool).
    const own = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : new Uint8Array(out);
    const view = new Uint8Array(own.buffer, own.byteOffset, own.byteLength);
    // The input buffer goes back to the pool for the next block (no garbage per block).
    parentPort.postMessage({ id: msg.id, out: view, back: msg.block }, [view.buffer, msg.block.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: msg.id, error: String(error), back: msg.block }, [msg.block.buffer]);
  }
});
`;
