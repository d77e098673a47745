/**
 * Source of the zstd worker thread (CommonJS, run with `eval: true` so that it works both from the
 * TypeScript sources and from dist/ without a separate build step). It loads @bokuweb/zstd-wasm from
 * `workerData.modulePath` and answers `{ id, level, block }` with `{ id, out }` or `{ id, error }`,
 * handing `block`'s buffer back as `back`.
 * Output is one zstd frame with the content size (one-shot ZSTD_compress).
 */
export const ZSTD_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const zstd = require(workerData.modulePath);
const queue = [];
let ready = false;
function handle(msg) {
  try {
    const out = zstd.compress(msg.block, msg.level);
    // The input buffer goes back to the pool for the next block (no garbage per block).
    parentPort.postMessage({ id: msg.id, out, back: msg.block }, [out.buffer, msg.block.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: msg.id, error: String(error), back: msg.block }, [msg.block.buffer]);
  }
}
parentPort.on('message', (msg) => {
  if (ready) handle(msg);
  else queue.push(msg);
});
zstd.init().then(
  () => {
    ready = true;
    for (const msg of queue.splice(0)) handle(msg);
  },
  (error) => parentPort.postMessage({ id: -1, error: 'cannot load the zstd WASM module: ' + String(error) }),
);
`;
