/**
 * Source of a WASM compression worker thread (CommonJS, run with `eval: true` so that it works both
 * from the TypeScript sources and from dist/ without a separate build step). `workerData` is
 * `{ kind: 'zstd', modulePath }` (@bokuweb/zstd-wasm, loaded with require, started with `init()`;
 * one-shot ZSTD_compress: one frame with the content size) or `{ kind: 'gzip', moduleUrl }` (the
 * ESM `libdeflate` package, loaded with import(); its zlib stream). It answers
 * `{ id, param, block }` (param: the level) with `{ id, out }` or `{ id, error }`, handing
 * `block`'s buffer back as `back`, and counts its answers in `workerData.ready[1]`; messages that
 * come before the module is loaded wait in a queue; once it is loaded the worker sets
 * `workerData.ready[0]` to 1 (see WorkerPool.starting). A module that cannot load is reported as `{ id: -1 }`.
 * As on the main thread (compress/deflate-wasm.ts), the process error listeners libdeflate's
 * emscripten glue adds on first use are removed again.
 */
export const WASM_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const queue = [];
let compress;
function withoutNewListeners(load) {
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = events.map((event) => new Set(process.listeners(event)));
  try {
    return load();
  } finally {
    events.forEach((event, i) => {
      for (const listener of process.listeners(event)) if (!before[i].has(listener)) process.removeListener(event, listener);
    });
  }
}
function load() {
  if (workerData.kind === 'zstd') {
    const zstd = require(workerData.modulePath);
    return zstd.init().then(() => (block, level) => zstd.compress(block, level));
  }
  return import(workerData.moduleUrl).then((libdeflate) => {
    withoutNewListeners(() => libdeflate.zlib(new Uint8Array(0), 1));
    return (block, level) => libdeflate.zlib(block, level);
  });
}
function handle(msg) {
  try {
    const out = compress(msg.block, msg.param);
    // The input buffer goes back to the pool for the next block (no garbage per block).
    parentPort.postMessage({ id: msg.id, out, back: msg.block }, [out.buffer, msg.block.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: msg.id, error: String(error), back: msg.block }, [msg.block.buffer]);
  }
  Atomics.add(workerData.ready, 1, 1);
}
parentPort.on('message', (msg) => {
  if (compress) handle(msg);
  else queue.push(msg);
});
load().then(
  (fn) => {
    compress = fn;
    Atomics.store(workerData.ready, 0, 1);
    for (const msg of queue.splice(0)) handle(msg);
  },
  (error) => parentPort.postMessage({ id: -1, error: 'cannot load the ' + workerData.kind + ' WASM module: ' + String(error) }),
);
`;
