/**
 * Source of the zstd worker thread (CommonJS, run with `eval: true` so that it works both from the
 * TypeScript sources and from dist/ without a separate build step). It loads zstd-codec's WASM
 * build from `workerData.bindingPath` and answers `{ id, level, block }` with `{ id, out }` or
 * `{ id, error }`. Output is one zstd frame with the content size (one-shot ZSTD_compress).
 */
export const ZSTD_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const factory = require(workerData.bindingPath);
const queue = [];
let ready = null;
const mod = { print() {}, printErr() {} };
mod.onRuntimeInitialized = () => {
  ready = { codec: new mod.ZstdCodec() };
  for (const msg of queue.splice(0)) handle(msg);
};
mod.onAbort = (what) => {
  parentPort.postMessage({ id: -1, error: 'zstd WASM aborted: ' + String(what) });
};
function handle(msg) {
  const src = new mod.VectorU8();
  const dst = new mod.VectorU8();
  try {
    mod.cloneToVector(src, msg.block);
    dst.resize(ready.codec.compressBound(msg.block.length), 0);
    const size = ready.codec.compress(dst, src, msg.level);
    if (size < 0) throw new Error('ZSTD_compress failed (' + size + ')');
    dst.resize(size, 0);
    const out = mod.cloneAsTypedArray(dst);
    parentPort.postMessage({ id: msg.id, out }, [out.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: msg.id, error: String(error) });
  } finally {
    src.delete();
    dst.delete();
  }
}
parentPort.on('message', (msg) => {
  if (ready === null) queue.push(msg);
  else handle(msg);
});
factory(mod);
`;
