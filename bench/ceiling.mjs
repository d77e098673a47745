// The machine's limit: the codec's own speed on all cores, with nothing else.
//
//   node bench/ceiling.mjs <dir> <gzip|zstd> [--level N] [--block-size B] [--concurrency N] [--via zlib|wasm|ours]
//
// Loads the payload's data blocks into memory first (files cut into blocks of `block-size`; file
// tails packed together into fragment-like blocks, as SquashFS does), then compresses every block
// with the same codec and level, many blocks in flight (all cores), and prints one JSON line:
// { codec, via, level, blocks, bytesIn, bytesOut, seconds, mbPerSec, ratio }.
//   gzip: libdeflate's zlib stream (the project's gzip codec: the `libdeflate` package's WASM) in
//         one worker thread per core (--via wasm, the default).
//   zstd: node:zlib zstdCompress where this Node has it (22.15+/23.8+), else the zstd WASM
//         build (@bokuweb/zstd-wasm, as the project) in one worker thread per core (Node 20).
//   --via zlib: node:zlib (deflate / zstdCompress) on the libuv thread pool, for comparison
//         (gzip: Chromium's zlib, not the codec the project uses).
//   --via workers: the same native node:zlib codec called synchronously in one worker thread per
//         core (deflateSync / zstdCompressSync): no per-call stream set-up on the main thread.
//   --via ours: the project's own nodeCodecs codec (packages/squashfs/dist/node), for comparison.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import zlib from 'node:zlib';

const args = process.argv.slice(2);
const dir = args[0];
const codec = args[1] ?? 'gzip';
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
// The level `bakery pack` uses by default (the project's DEFAULT_LEVEL, from the build).
const { DEFAULT_LEVEL } = await import(new URL('../packages/squashfs/dist/index.js', import.meta.url).href);
const level = Number(opt('level', DEFAULT_LEVEL[codec]));
const blockSize = Number(opt('block-size', 131072));
const cores = os.availableParallelism?.() ?? os.cpus().length;
const concurrency = Number(opt('concurrency', 2 * cores));
const hasNativeZstd = typeof zlib.zstdCompress === 'function';
const via = opt('via', codec === 'gzip' ? 'wasm' : hasNativeZstd ? 'zlib' : 'wasm');

function loadBlocks(root) {
  const blocks = [];
  let frag = Buffer.alloc(blockSize);
  let fragLen = 0;
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  walk(root);
  for (const f of files) {
    const data = fs.readFileSync(f);
    let o = 0;
    // Each block in its own ArrayBuffer: posting a subarray to a worker would clone the whole file.
    for (; o + blockSize <= data.length; o += blockSize) blocks.push(new Uint8Array(data.subarray(o, o + blockSize)));
    const tail = data.subarray(o);
    if (tail.length === 0) continue;
    if (fragLen + tail.length > blockSize) {
      blocks.push(frag.subarray(0, fragLen));
      frag = Buffer.alloc(blockSize);
      fragLen = 0;
    }
    tail.copy(frag, fragLen);
    fragLen += tail.length;
  }
  if (fragLen > 0) blocks.push(frag.subarray(0, fragLen));
  return blocks;
}

function zlibCompressor() {
  if (codec === 'gzip') {
    return (block) => new Promise((res, rej) => zlib.deflate(block, { level }, (e, out) => (e ? rej(e) : res(out))));
  }
  const params = { [zlib.constants.ZSTD_c_compressionLevel]: level, [zlib.constants.ZSTD_c_contentSizeFlag]: 1, [zlib.constants.ZSTD_c_checksumFlag]: 0 };
  return (block) => new Promise((res, rej) => zlib.zstdCompress(block, { params, pledgedSrcSize: block.length }, (e, out) => (e ? rej(e) : res(out))));
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const queue = [];
let compress;
function handle(msg) {
  const out = compress(msg.block, msg.level);
  parentPort.postMessage({ id: msg.id, out }, [out.buffer]);
}
parentPort.on('message', (m) => (compress ? handle(m) : queue.push(m)));
const load = workerData.codec === 'gzip'
  ? import(workerData.moduleUrl).then((m) => (b, l) => m.zlib(b, l))
  : ((z) => z.init().then(() => (b, l) => z.compress(b, l)))(require(workerData.modulePath));
load.then((fn) => { compress = fn; for (const m of queue.splice(0)) handle(m); });
`;

function wasmCompressor() {
  // The WASM builds the project depends on (libdeflate, @bokuweb/zstd-wasm), one worker per core.
  const require = createRequire(path.join(process.cwd(), 'packages/squashfs/package.json'));
  const modulePath = require.resolve(codec === 'gzip' ? 'libdeflate' : '@bokuweb/zstd-wasm');
  return workerPool(WORKER, { codec, modulePath, moduleUrl: pathToFileURL(modulePath).href }, (block) => ({ level, block }));
}

/** One worker per core running `source`; jobs go round-robin, each answered by id with `out`. */
function workerPool(source, workerData, message) {
  const workers = [];
  const pending = new Map();
  let id = 0;
  for (let i = 0; i < cores; i++) {
    const w = new Worker(source, { eval: true, workerData });
    w.on('message', (m) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      p(m.out);
    });
    workers.push(w);
  }
  const fn = (block) =>
    new Promise((res) => {
      const n = id++;
      pending.set(n, res);
      workers[n % workers.length].postMessage({ id: n, ...message(block) });
    });
  fn.close = () => Promise.all(workers.map((w) => w.terminate()));
  return fn;
}

const SYNC_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const zlib = require('node:zlib');
const C = zlib.constants;
const level = workerData.level;
const compress = workerData.codec === 'gzip'
  ? (b) => zlib.deflateSync(b, { level })
  : (b) => zlib.zstdCompressSync(b, { pledgedSrcSize: b.length, params: { [C.ZSTD_c_compressionLevel]: level, [C.ZSTD_c_contentSizeFlag]: 1, [C.ZSTD_c_checksumFlag]: 0 } });
parentPort.on('message', (m) => {
  const o = compress(m.block);
  const out = new Uint8Array(o.buffer, o.byteOffset, o.byteLength).slice();
  parentPort.postMessage({ id: m.id, out }, [out.buffer]);
});
`;

function syncWorkersCompressor() {
  if (codec === 'zstd' && !hasNativeZstd) throw new Error('--via workers needs node:zlib zstd (Node >= 22.15)');
  return workerPool(SYNC_WORKER, { codec, level }, (block) => ({ block }));
}

async function oursCompressor() {
  const node = await import(path.resolve('packages/squashfs/dist/node/index.js'));
  const provider = typeof node.nodeCodecs === 'function' ? node.nodeCodecs() : node.nodeCodecs;
  const c = provider.createCodec(codec, { level });
  const fn = async (block) => (await c.compress(block)) ?? block;
  fn.close = () => c.close();
  return fn;
}

const blocks = loadBlocks(dir);
const compress = via === 'ours' ? await oursCompressor() : via === 'wasm' ? wasmCompressor() : via === 'workers' ? syncWorkersCompressor() : zlibCompressor();
// Warm up (worker start-up, WASM instantiation) outside the timed section.
await Promise.all(blocks.slice(0, cores).map((b) => compress(b)));
let bytesIn = 0, bytesOut = 0, next = 0;
const t0 = process.hrtime.bigint();
async function lane() {
  while (next < blocks.length) {
    const b = blocks[next++];
    const out = await compress(b);
    bytesIn += b.length;
    bytesOut += Math.min(out.length, b.length);
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
await compress.close?.();
console.log(JSON.stringify({ codec, via, level, cores, concurrency, blocks: blocks.length, bytesIn, bytesOut, seconds, mbPerSec: bytesIn / 1048576 / seconds, ratio: bytesOut / bytesIn }));
