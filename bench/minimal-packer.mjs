// The least work a packer written in Node must do for a payload, with the project's own codec: how
// close to the codec ceiling any Node implementation can get on this machine.
//
//   node bench/minimal-packer.mjs <dir> <out> [gzip|zstd]
//
// It starts Node and the project's worker-pool codec (packages/squashfs/dist, as `bakery pack`),
// walks the tree as `bakery pack` does (readdir, lstat, the xattr list of every entry, synchronous
// calls), reads every regular file, cuts it into 128 KiB blocks and packs the tails into shared
// blocks (as SquashFS fragments), compresses them with the same number in flight as the writer
// (4 per core) and writes them in order to <out>, asynchronously as the writer does. Nothing
// else: no hashing and so no deduplication (it compresses every duplicate, which `bakery pack`
// does not), no tree in memory, no inode, directory or lookup tables, no superblock. <out> is not
// an image.
// Prints one JSON line: { files, bytes, blocks, seconds }.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { statEntry } from './entry-calls.mjs';

const [dir, out, compression = 'gzip'] = process.argv.slice(2);
if (dir === undefined || out === undefined) {
  console.error('usage: node bench/minimal-packer.mjs <dir> <out> [gzip|zstd]');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const t0 = performance.now();
const { nodeCodecs } = await import(path.join(here, '../packages/squashfs/dist/node/index.js'));

const BLOCK = 128 << 10;
const IN_FLIGHT = 4 * (os.availableParallelism?.() ?? os.cpus().length);
const codec = nodeCodecs.createCodec(compression, {});
const file = await fs.promises.open(out, 'w');
const pending = [];
/** Writes go to the libuv pool at known offsets, not awaited one by one (as the writer's queue). */
const writes = [];
let position = 0;
let blocks = 0;

async function writeOldest() {
  const { raw, packed } = pending.shift();
  const bytes = (await packed) ?? raw;
  writes.push(file.write(bytes, 0, bytes.length, position));
  position += bytes.length;
  blocks++;
}
async function submit(raw) {
  pending.push({ raw, packed: codec.compress(raw) });
  while (pending.length >= IN_FLIGHT) await writeOldest();
}

const read = new Uint8Array(1 << 20);
let tails = new Uint8Array(BLOCK);
let tailFill = 0;
let files = 0;
let bytes = 0;

/** The block being filled: handed to the codec when full (and replaced), reused between files. */
let block = new Uint8Array(BLOCK);

async function packFile(p, size) {
  const f = fs.openSync(p, 'r');
  let fill = 0;
  try {
    for (let left = size; left > 0; ) {
      const n = fs.readSync(f, read, 0, Math.min(read.length, left), null);
      if (n === 0) break;
      left -= n;
      bytes += n;
      for (let o = 0; o < n; ) {
        const k = Math.min(n - o, BLOCK - fill);
        block.set(read.subarray(o, o + k), fill);
        fill += k;
        o += k;
        if (fill === BLOCK) {
          await submit(block);
          block = new Uint8Array(BLOCK);
          fill = 0;
        }
      }
    }
  } finally {
    fs.closeSync(f);
  }
  if (fill === 0) return;
  if (tailFill + fill > BLOCK) {
    await submit(tails.subarray(0, tailFill));
    tails = new Uint8Array(BLOCK);
    tailFill = 0;
  }
  tails.set(block.subarray(0, fill), tailFill);
  tailFill += fill;
}

async function walk(d) {
  for (const name of fs.readdirSync(d).sort()) {
    const p = `${d}/${name}`;
    const st = statEntry(p);
    if (st.isDirectory()) await walk(p);
    else if (st.isFile()) {
      files++;
      await packFile(p, Number(st.size));
    }
  }
}

try {
  await walk(dir);
  if (tailFill > 0) await submit(tails.subarray(0, tailFill));
  while (pending.length > 0) await writeOldest();
  await Promise.all(writes);
} finally {
  await file.close();
  await codec.close();
}
console.log(JSON.stringify({ files, bytes, blocks, seconds: (performance.now() - t0) / 1000 }));
