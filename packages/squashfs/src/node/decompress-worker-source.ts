/**
 * Source of a node:zlib decompression worker thread (CommonJS, run with `eval: true` like
 * zlib-worker-source.ts). `workerData.kind` is 'gzip' (`inflateSync`, a zlib stream) or 'zstd'
 * (`zstdDecompressSync`). Answers `{ id, param, block }` (param: the most bytes the block may
 * decompress to) with `{ id, out }` (zlib's output, its buffer transferred) or `{ id, error }`,
 * handing `block`'s buffer back as `back` (each answer counted in `workerData.ready[1]`); with
 * `lengthOnly`, with `{ id, length }` (the output is freed here). The output chunk is larger than
 * the bound, so a block is one zlib call; a block that would decompress to more than `param` bytes
 * fails (maxOutputLength), as the synchronous decompressors do.
 *
 * Why a worker and not node:zlib's asynchronous calls: each of those builds a stream object on the
 * calling thread and keeps it until the libuv pool is done, so with several blocks in flight they
 * outlive the young generation and fill the old one; in a process whose young generation has grown
 * (`bakery create` after packing), V8 then ran a full GC every ~25 ms while an image was read back.
 */
import { MINOR_GC_SOURCE } from './minor-gc-source.js';

export const DECOMPRESS_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const zlib = require('node:zlib');
const decompress = workerData.kind === 'zstd' ? zlib.zstdDecompressSync : zlib.inflateSync;
${MINOR_GC_SOURCE}
const canDetach = typeof ArrayBuffer.prototype.transfer === 'function';
Atomics.store(workerData.ready, 0, 1);
function handle(msg) {
  try {
    const max = msg.param;
    const chunkSize = Math.max(zlib.constants.Z_DEFAULT_CHUNK, max + 1024);
    const out = decompress(msg.block, { maxOutputLength: max, chunkSize });
    const length = out.length;
    const ownBuffer = out.buffer.byteLength > Buffer.poolSize;
    if (msg.lengthOnly && ownBuffer && canDetach) {
      // The output is freed here and now: this thread allocates so little else that a GC comes
      // rarely, and zlib's buffers would pile up (tens of MB per worker) until one did.
      out.buffer.transfer(0);
      parentPort.postMessage({ id: msg.id, length, back: msg.block }, [msg.block.buffer]);
      return;
    }
    // As in the zlib compression worker: zlib's own output buffer is moved to the main thread
    // (gone from here at once, for the reason above), except a small Buffer that may be a view of
    // the shared pool, which is copied. Without ArrayBuffer.prototype.transfer (Node 20) a
    // length-only answer moves the buffer too, for the main thread to drop.
    const own = ownBuffer ? out : new Uint8Array(out);
    const view = new Uint8Array(own.buffer, own.byteOffset, own.byteLength);
    const reply = msg.lengthOnly ? { id: msg.id, length, drop: view, back: msg.block } : { id: msg.id, out: view, back: msg.block };
    parentPort.postMessage(reply, [view.buffer, msg.block.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: msg.id, error: String(error), back: msg.block }, [msg.block.buffer]);
  }
}
let blocks = 0;
const zstd = workerData.kind === 'zstd';
parentPort.on('message', (msg) => {
  if (zstd) prepareCollect();
  handle(msg);
  Atomics.add(workerData.ready, 1, 1);
  // Every 8 blocks, not after each: a block decompresses in ~0.2 ms, and a GC each time cost
  // ~13% of the time of reading an image back (Node 22); every 8 costs nothing measurable and
  // keeps the same ~100 MB less.
  if (zstd && collect && ++blocks % 8 === 0) collect(); // after the answer: it does not wait
});
`;
