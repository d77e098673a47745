// The input side of the machine's limit: the CPU time it takes just to read the payload the way
// any packer must (mksquashfs does the same calls), with nothing else.
//
//   node bench/io-floor.mjs <dir>
//
// One thread, synchronous calls from the page cache: readdir of every directory, lstat and the
// xattr list of every entry (through the project's optional @napi-rs/xattr; skipped when it is not
// installed), and for each regular file open, reads into one reused 128 KiB buffer up to its
// size (one read for a small file, as `bakery pack` does), close. Prints one JSON line: { files, dirs, bytes, xattrs, seconds, cpuSeconds }. Run it twice
// and the second pass is the one timed (the first warms the page cache and the code).
//
// With the codec ceiling (ceiling.mjs: T seconds on N cores, the codec alone), the best a packer
// can do is T + cpuSeconds / N, if the reads ran perfectly in parallel with compression and nothing
// else (no tree, no hashing, no tables, no start-up): run.mjs reports T / (T + cpuSeconds / N) as
// the bound on the share of the ceiling.
import fs from 'node:fs';
import path from 'node:path';
import { statEntry, xattrsListed } from './entry-calls.mjs';

const dir = process.argv[2];
if (dir === undefined) {
  console.error('usage: node bench/io-floor.mjs <dir>');
  process.exit(2);
}

const buffer = Buffer.allocUnsafe(128 << 10);

function pass() {
  let files = 0;
  let dirs = 0;
  let bytes = 0;
  const walk = (d) => {
    dirs++;
    const subdirs = [];
    for (const name of fs.readdirSync(d)) {
      const p = `${d}/${name}`;
      const st = statEntry(p);
      if (st.isDirectory()) subdirs.push(p);
      else if (st.isFile()) {
        // Up to the size lstat gave, plus one byte that would show growth; a read that ends at
        // that size ends the file (a regular file's read is short only at its end).
        const size = Number(st.size);
        const fd = fs.openSync(p, 'r');
        let got = 0;
        for (let n; got <= size && (n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, size + 1 - got), null)) > 0; ) {
          got += n;
          if (got === size) break;
        }
        bytes += got;
        fs.closeSync(fd);
        files++;
      }
    }
    for (const s of subdirs) walk(s);
  };
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  walk(path.resolve(dir));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { files, dirs, bytes, xattrs: xattrsListed, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

pass();
console.log(JSON.stringify(pass()));
