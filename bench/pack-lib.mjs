// Tiny driver for our encoder, straight from the built library (no CLI):
//
//   node bench/pack-lib.mjs <dir> <image> [--compression gzip|zstd|none] [--level N] [--block-size B]
//                           [--hasher native|default] [--concurrency N] [--lib DIR]
//
// --hasher native: dedup hashing with node:crypto (sha256Hasher from ./node) instead of the
// writer's default; --lib: another build of packages/squashfs/dist (experiments).
// Used by the benchmark until/unless `bakery pack` exists (`--ours lib` forces it), and for
// profiling: `node --cpu-prof --cpu-prof-dir=bench/results/prof bench/pack-lib.mjs <dir> <img>`.
// Prints the WriteResult as one JSON line.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const [dir, image] = args;
const opt = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
if (dir === undefined || image === undefined) {
  console.error('usage: node bench/pack-lib.mjs <dir> <image> [--compression gzip|zstd|none] [--level N] [--block-size B]');
  process.exit(2);
}

const lib = path.resolve(opt('lib') ?? path.join(here, '../packages/squashfs/dist'));
const core = await import(path.join(lib, 'index.js'));
const node = await import(path.join(lib, 'node/index.js'));

const fromDirectory = node.fromDirectory ?? node.treeFromDirectory ?? node.readDirectory ?? node.directoryTree;
if (typeof core.writeImage !== 'function' || typeof fromDirectory !== 'function' || node.createFileSink === undefined) {
  console.error(
    `pack-lib: the built library lacks ${[
      typeof core.writeImage !== 'function' && 'writeImage',
      typeof fromDirectory !== 'function' && 'fromDirectory',
      node.createFileSink === undefined && 'createFileSink',
    ]
      .filter(Boolean)
      .join(', ')} (run npm run build)`,
  );
  process.exit(3);
}
const codecs = typeof node.nodeCodecs === 'function' ? node.nodeCodecs() : node.nodeCodecs;
// Worker-backed zstd (Node < 22.15) compresses metadata with compressSync on the main thread,
// which needs the main-thread WASM loaded first.
await node.nodeCodecsReady?.();

const t0 = performance.now();
// As bakery pack reads its input: synchronous calls, subdirectories read as the writer reaches them.
const tree = await fromDirectory(dir, { sync: true, lazy: true });
const root = tree?.root ?? tree;
const t1 = performance.now();
const sink = await node.createFileSink(image);
const options = { compression: opt('compression') ?? 'gzip', codecs };
if (opt('level') !== undefined) options.level = Number(opt('level'));
if (opt('block-size') !== undefined) options.blockSize = Number(opt('block-size'));
if (opt('concurrency') !== undefined) options.concurrency = Number(opt('concurrency'));
if (opt('hasher') === 'native') options.hasher = node.sha256Hasher;
const result = await core.writeImage(root, sink, options);
const t2 = performance.now();
console.log(JSON.stringify({ ...result, scanMs: Math.round(t1 - t0), writeMs: Math.round(t2 - t1) }));
