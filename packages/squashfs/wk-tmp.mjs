import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module'; import { pathToFileURL } from 'node:url';
import { WASM_WORKER_SOURCE } from './dist/node/wasm-worker-source.js';
const modulePath = createRequire(import.meta.url).resolve('libdeflate');
const c0 = process.cpuUsage(); const t0 = performance.now();
const n = Number(process.argv[2] ?? 2);
const ws = []; const done = [];
for (let i = 0; i < n; i++) {
  const ready = new Int32Array(new SharedArrayBuffer(4));
  const w = new Worker(WASM_WORKER_SOURCE, { eval: true, workerData: { kind: 'gzip', moduleUrl: pathToFileURL(modulePath).href, ready } });
  const block = new Uint8Array(131072).map((_, j) => (j * 7) % 251);
  done.push(new Promise((res) => w.once('message', () => res(performance.now() - t0))));
  w.postMessage({ id: 0, param: 7, block }, [block.buffer]);
  ws.push(w);
}
const times = await Promise.all(done);
const c = process.cpuUsage(c0);
console.log('first results at', times.map((t) => t.toFixed(0)).join(','), 'ms; cpu', ((c.user + c.system) / 1000).toFixed(0), 'ms');
await Promise.all(ws.map((w) => w.terminate()));
