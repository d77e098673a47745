/**
 * True where node:zlib frees a zstd call's context when the call returns (nodejs/node#61717: Node
 * 24.15 and later 24.x, Node 26 and later); elsewhere it waits for V8 to collect the call's handle.
 * The worker source below makes the same test (a test checks that both agree).
 */
export function zstdContextFreedAtOnce(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 25 || (major === 24 && minor >= 15);
}

/**
 * Worker-thread source (CommonJS) that defines `collect`, a minor GC where one is needed, and
 * `prepareCollect()`, which makes it: call it before handling a job, then `if (collect) collect()`.
 * Before nodejs/node#61717 (Node 24.15; not in Node 22 as of 22.23, nor 25), the zstd
 * context of a node:zlib `zstdCompressSync` / `zstdDecompressSync` call (~1 MB compressing at
 * level 15, ~0.2 MB decompressing) is freed only when V8 collects the call's handle object, and V8
 * is not told about that memory: in a worker thread, which allocates almost nothing else, GCs come
 * rarely and the contexts piled up (1.2 GB of RSS compressing 25,000 small files; 205 MB
 * decompressing a 104 MB image), each in fresh pages (page faults: 2-3x the system time). There a
 * minor GC after every block frees the context at once (then reused, as a fixed Node does);
 * elsewhere it would only cost time (~3% with small blocks). gc() comes from a context made while
 * --expose-gc is set, unset again at once (or is the process's own under node --expose-gc, whose
 * flag is then left alone).
 *
 * That context is made with the first job, not when the worker starts: a worker may be terminated
 * while it starts (a small image is compressed on the calling thread before any worker is ready,
 * and closing the codec ends them), and terminated while V8 installs gc() in a new context, V8
 * prints "Exception thrown during bootstrapping" on the process's stderr. A worker with a job in
 * hand is not terminated (the pool waits for its answer).
 */
export const MINOR_GC_SOURCE = `
let collect; // undefined until prepareCollect(); then a function, or null where no GC is needed
function prepareCollect() {
  if (collect === undefined) collect = makeCollect();
}
function makeCollect() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 25 || (major === 24 && minor >= 15)) return null; // as zstdContextFreedAtOnce()
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
}
`;
