// Benchmark payloads, built once and cached under bench/.payload/ (gitignored).
//
// large:  Kubernetes-like large Go binaries. Real ones when the machine has them: the CNI plugins
//         from Debian's containernetworking-plugins package (/usr/lib/cni), then other large ELF
//         executables found in the usual bin directories (kubectl, docker, node, ...), up to the
//         target size. Whatever is missing is generated: seeded data with the block-level gzip
//         ratio of Go binaries (~0.40). `--synthetic` forces generated data only (portable figures).
// small:  a node_modules-like tree of many small JS/JSON/Markdown files, generated from a seed
//         (sizes log-normal around 2 KiB, ~10% identical files such as LICENSEs and duplicated
//         packages, a few .bin symlinks).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const GENERATOR_VERSION = 3;
const FIXED_MTIME = new Date('2024-01-01T00:00:00Z');

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (xoshiro128**): deterministic on every machine.
export function rng(seed) {
  let a = 0x9e3779b9 ^ seed, b = 0x243f6a88 ^ (seed * 31), c = 0xb7e15162, d = 0x6a09e667 ^ (seed >>> 3);
  const next = () => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9);
    const t = b << 9;
    c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl(d, 11);
    return r >>> 0;
  };
  for (let i = 0; i < 16; i++) next();
  const f = () => next() / 4294967296;
  f.u32 = next;
  f.int = (n) => Math.floor(f() * n);
  f.pick = (arr) => arr[Math.floor(f() * arr.length)];
  f.normal = () => {
    let u = 0;
    while (u === 0) u = f();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * f());
  };
  return f;
}
function rotl(x, k) {
  return (x << k) | (x >>> (32 - k));
}

// ---------------------------------------------------------------------------------------------
// Large binaries.

const BIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin', '/usr/local/bin', '/usr/bin', '/usr/sbin', '/usr/lib/google-cloud-sdk/bin', '/usr/libexec/docker/cli-plugins'];

function isElf(file) {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const b = Buffer.alloc(4);
      fs.readSync(fd, b, 0, 4, 0);
      return b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** Real binaries to use: CNI plugins first (all), then large ELF executables, largest first. */
function pickRealBinaries(targetBytes, log) {
  const chosen = [];
  const seenSizes = new Set();
  let total = 0;
  const add = (file, st) => {
    // Skip exact duplicates of already chosen files (same size + same first/last 64 KiB).
    const key = `${st.size}:${quickHash(file, st.size)}`;
    if (seenSizes.has(key)) return;
    seenSizes.add(key);
    chosen.push({ src: file, size: st.size, mtimeMs: st.mtimeMs });
    total += st.size;
  };
  const cni = BIN_DIRS.slice(0, 2).flatMap((d) => listFiles(d));
  if (cni.length === 0) log('large: no CNI plugins found (apt-get install containernetworking-plugins); using other binaries');
  for (const f of cni.sort()) {
    const st = fs.statSync(f);
    if (st.isFile() && isElf(f)) add(f, st);
  }
  const others = [];
  for (const dir of BIN_DIRS.slice(2)) {
    for (const f of listFiles(dir)) {
      let st;
      try {
        st = fs.statSync(f);
      } catch {
        continue;
      }
      if (st.isFile() && st.size >= 8 << 20 && st.size <= 160 << 20 && isElf(f)) others.push({ f, st });
    }
  }
  others.sort((x, y) => y.st.size - x.st.size || (x.f < y.f ? -1 : 1));
  for (const { f, st } of others) {
    if (total >= targetBytes) break;
    if (total + st.size > targetBytes * 1.1) continue;
    add(f, st);
  }
  return { chosen, total };
}

function listFiles(dir) {
  try {
    return fs.readdirSync(dir).map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}

function quickHash(file, size) {
  const h = createHash('sha1');
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(Math.min(65536, size));
    fs.readSync(fd, b, 0, b.length, 0);
    h.update(b);
    fs.readSync(fd, b, 0, b.length, Math.max(0, size - b.length));
    h.update(b);
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex').slice(0, 16);
}

const GO_WORDS = (
  'runtime sync atomic net http json encoding reflect syscall unsafe errors fmt strconv strings bytes io bufio os ' +
  'context time sort math bits crypto tls x509 sha256 hmac rand big ecdsa elliptic netlink vishvananda containernetworking ' +
  'cni plugins pkg ip ns types current version skel invoke github.com golang.org k8s.io apimachinery client-go ' +
  'Marshal Unmarshal NewDecoder Encode Decode ServeHTTP Handler Request Response Header Context WithCancel Lock Unlock ' +
  'goroutine panic recover defer chan select interface struct func method value pointer slice map string int64 uint32 ' +
  'error nil true false invalid argument not found permission denied timeout connection refused address already in use'
).split(' ');

const RANDOM_FRACTION = 0.05;
const INSTRUCTIONS = (() => {
  const r = rng(7);
  return Array.from({ length: 512 }, () => Array.from({ length: 2 + r.int(6) }, () => r.int(256)));
})();

/** Data shaped like a Go binary: code-like bytes, string tables, pointer tables, random (compressed) sections. */
function fillGoLike(buf, r) {
  let o = 0;
  const n = buf.length;
  while (o < n) {
    const kind = r();
    let len = 512 + r.int(16384);
    if (o + len > n) len = n - o;
    if (kind < RANDOM_FRACTION) {
      // Already-compressed or high-entropy data (e.g. embedded assets, hashes): incompressible.
      for (let i = 0; i < len; i += 4) {
        const v = r.u32();
        buf[o + i] = v;
        if (i + 1 < len) buf[o + i + 1] = v >>> 8;
        if (i + 2 < len) buf[o + i + 2] = v >>> 16;
        if (i + 3 < len) buf[o + i + 3] = v >>> 24;
      }
    } else if (kind < 0.75) {
      // Machine-code-like: instructions drawn (Zipf-like) from a fixed set, with random immediates.
      let i = 0;
      while (i < len) {
        const ins = INSTRUCTIONS[Math.floor(INSTRUCTIONS.length * r() * r() * r() * r())];
        for (let k = 0; k < ins.length && i < len; k++) buf[o + i++] = ins[k];
        if (r() < 0.25) for (let k = 0; k < 4 && i < len; k++) buf[o + i++] = k < 2 ? r.int(256) : 0;
      }
    } else if (kind < 0.9) {
      // String table: identifiers, paths and messages.
      let i = 0;
      while (i < len) {
        const w = r.pick(GO_WORDS);
        const s = r() < 0.3 ? `${w}.${r.pick(GO_WORDS)}` : r() < 0.1 ? `${w}${r.int(100000)}` : w;
        for (let k = 0; k < s.length && i < len; k++) buf[o + i++] = s.charCodeAt(k);
        if (i < len) buf[o + i++] = r() < 0.5 ? 0 : 0x2f;
      }
    } else {
      // Pointer / offset tables: little-endian 64-bit values close to each other.
      let base = 0x400000 + r.int(0x1000000);
      for (let i = 0; i < len; i++) {
        if (i % 8 === 0) base += r.int(256);
        const k = i % 8;
        buf[o + i] = k < 4 ? (base >>> (8 * k)) & 0xff : 0;
      }
    }
    o += len;
  }
}

export function blockGzipRatio(buf, sample = 64) {
  const bs = 131072;
  const blocks = Math.floor(buf.length / bs);
  const step = Math.max(1, Math.floor(blocks / sample));
  let tin = 0, tout = 0;
  for (let b = 0; b < blocks; b += step) {
    const blk = buf.subarray(b * bs, (b + 1) * bs);
    tin += blk.length;
    tout += Math.min(blk.length, zlib.deflateSync(blk, { level: 9 }).length);
  }
  return tin === 0 ? 0 : tout / tin;
}

function writeSyntheticBinary(file, size, seed) {
  const r = rng(seed);
  const fd = fs.openSync(file, 'w', 0o755);
  const chunk = Buffer.alloc(4 << 20);
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(chunk.length, size - done);
      fillGoLike(chunk.subarray(0, n), r);
      fs.writeSync(fd, chunk, 0, n);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

export function buildLarge(cacheDir, { sizeMB, synthetic, log }) {
  const target = sizeMB * 1024 * 1024;
  const { chosen, total } = synthetic ? { chosen: [], total: 0 } : pickRealBinaries(target, log);
  const syntheticFiles = [];
  let rest = target - total;
  for (let i = 0; rest > 1 << 20; i++) {
    const size = Math.min(rest, (24 + ((i * 37) % 72)) << 20); // 24..95 MiB
    syntheticFiles.push({ name: `kube-synthetic-${i}`, size });
    rest -= size;
  }
  const key = createHash('sha256')
    .update(JSON.stringify({ v: GENERATOR_VERSION, chosen, syntheticFiles }))
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(cacheDir, `large-${sizeMB}M-${key}`);
  const manifestFile = `${dir}.json`;
  if (fs.existsSync(manifestFile)) return { dir, ...JSON.parse(fs.readFileSync(manifestFile, 'utf8')) };
  log(`large: building ${dir} (${chosen.length} real binaries, ${syntheticFiles.length} generated)`);
  fs.rmSync(dir, { recursive: true, force: true });
  const files = [];
  for (const c of chosen) {
    const rel = c.src.startsWith('/usr/lib/cni/') || c.src.startsWith('/opt/cni/bin/')
      ? path.join('opt/cni/bin', path.basename(c.src))
      : path.join('opt/bin', path.basename(c.src));
    const out = path.join(dir, 'usr/lib/extension-root', rel);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.copyFileSync(c.src, out);
    fs.chmodSync(out, 0o755);
    fs.utimesSync(out, FIXED_MTIME, FIXED_MTIME);
    files.push({ path: rel, size: c.size, from: c.src });
  }
  syntheticFiles.forEach((s, i) => {
    const rel = path.join('opt/bin', s.name);
    const out = path.join(dir, 'usr/lib/extension-root', rel);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    writeSyntheticBinary(out, s.size, 1000 + i);
    fs.utimesSync(out, FIXED_MTIME, FIXED_MTIME);
    files.push({ path: rel, size: s.size, from: 'generated' });
  });
  const manifest = summarize(dir, { kind: 'large', realBinaries: chosen.length, generated: syntheticFiles.length, list: files });
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 1));
  return { dir, ...manifest };
}

// ---------------------------------------------------------------------------------------------
// Many small files.

const JS_WORDS = (
  'value options callback result error data buffer stream index length key name path module exports require ' +
  'config context handler request response promise resolve reject state props children node parent element ' +
  'item list map set cache token parser lexer scope emit listener event target source dest format encode decode ' +
  'utils helpers internal create get set has delete update parse stringify assert validate normalize merge'
).split(' ');
const JS_KEYWORDS = ['const', 'let', 'var', 'return', 'if', 'else', 'for', 'while', 'function', 'new', 'this', 'typeof', 'null', 'undefined', 'true', 'false', 'async', 'await', 'throw', 'class'];
const SYL = ['ba', 'co', 'da', 'fe', 'go', 'hi', 'jo', 'ka', 'li', 'mo', 'nu', 'pa', 'qu', 'ro', 'si', 'tu', 'vi', 'wa', 'xe', 'yo', 'ze', 'ar', 'en', 'is', 'ol', 'ux'];

function ident(r, pool) {
  if (r() < 0.7) return r.pick(pool);
  const w = r.pick(JS_WORDS);
  return r() < 0.5 ? w : w + r.pick(JS_WORDS).replace(/^./, (c) => c.toUpperCase());
}

function jsSource(r, bytes) {
  const pool = Array.from({ length: 6 + r.int(20) }, () => r.pick(JS_WORDS) + (r() < 0.5 ? r.pick(SYL).toUpperCase() + r.pick(SYL) : ''));
  const out = [`'use strict';\n`];
  let n = out[0].length;
  let depth = 0;
  while (n < bytes) {
    const pad = '  '.repeat(depth);
    const t = r();
    let line;
    if (t < 0.08 && depth < 4) {
      line = `${pad}function ${ident(r, pool)}(${ident(r, pool)}, ${ident(r, pool)}) {`;
      depth++;
    } else if (t < 0.16 && depth > 0) {
      depth--;
      line = `${'  '.repeat(depth)}}`;
    } else if (t < 0.3) {
      line = `${pad}const ${ident(r, pool)} = require('${r() < 0.5 ? './' : ''}${r.pick(JS_WORDS)}${r() < 0.3 ? '/' + r.pick(JS_WORDS) : ''}');`;
    } else if (t < 0.45) {
      line = `${pad}if (${ident(r, pool)} ${r.pick(['===', '!==', '>', '<'])} ${r() < 0.5 ? r.pick(JS_KEYWORDS) : r.int(1000)}) ${r.pick(JS_KEYWORDS)} ${ident(r, pool)};`;
    } else if (t < 0.6) {
      line = `${pad}${ident(r, pool)}.${ident(r, pool)}(${ident(r, pool)}, '${r.pick(JS_WORDS)} ${r.pick(JS_WORDS)} ${r.int(100)}');`;
    } else if (t < 0.7) {
      line = `${pad}// ${Array.from({ length: 3 + r.int(10) }, () => r.pick(JS_WORDS)).join(' ')}`;
    } else if (t < 0.8) {
      line = `${pad}return ${ident(r, pool)}.${ident(r, pool)}.map((${ident(r, pool)}) => ${ident(r, pool)} + ${r.int(64)});`;
    } else if (t < 0.9) {
      line = `${pad}this._${ident(r, pool)} = ${r() < 0.5 ? `"${r.u32().toString(36)}"` : r.u32() % 100000};`;
    } else {
      line = `${pad}module.exports.${ident(r, pool)} = ${ident(r, pool)};`;
    }
    out.push(line, '\n');
    n += line.length + 1;
  }
  return out.join('').slice(0, bytes);
}

function minified(r, bytes) {
  const src = jsSource(r, bytes * 2).replace(/\n\s*/g, '').replace(/ ([=+<>!]=*) /g, '$1');
  let out = src.replace(/\b(value|options|callback|result|error|data|buffer|stream|index)\b/g, () => String.fromCharCode(97 + r.int(26)));
  while (out.length < bytes) out += out;
  return out.slice(0, bytes);
}

function sourceMap(r, bytes, name) {
  const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const parts = [];
  let n = 0;
  while (n < bytes) {
    let seg = '';
    const k = 4 + r.int(3);
    for (let i = 0; i < k; i++) seg += b64[r() < 0.6 ? r.int(8) : r.int(64)];
    parts.push(seg);
    n += seg.length + 1;
  }
  return JSON.stringify({ version: 3, file: name, sources: [`../src/${name.replace(/\.map$/, '')}`], names: [], mappings: parts.join(r() < 0.5 ? ',' : ';') }).slice(0, Math.max(bytes, 64));
}

function markdown(r, bytes, pkg) {
  let s = `# ${pkg}\n\n`;
  while (s.length < bytes) {
    const t = r();
    if (t < 0.2) s += `\n## ${r.pick(JS_WORDS)} ${r.pick(JS_WORDS)}\n\n`;
    else if (t < 0.35) s += '```js\n' + jsSource(r, 200 + r.int(400)) + '\n```\n';
    else s += Array.from({ length: 8 + r.int(30) }, () => r.pick(JS_WORDS)).join(' ') + '.\n';
  }
  return s.slice(0, bytes);
}

const LICENSES = [
  'MIT License\n\nCopyright (c) Contributors\n\nPermission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software.\n\nTHE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.\n',
  'ISC License\n\nPermission to use, copy, modify, and/or distribute this software for any purpose with or without fee is hereby granted, provided that the above copyright notice and this permission notice appear in all copies.\n\nTHE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES.\n',
  'Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n\nTERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n'.repeat(12),
];

function logNormalSize(r, median, sigma, max) {
  return Math.max(16, Math.min(max, Math.round(median * Math.exp(sigma * r.normal()))));
}

export function buildSmall(cacheDir, { files: targetFiles, log }) {
  const dir = path.join(cacheDir, `small-${targetFiles}-v${GENERATOR_VERSION}`);
  const manifestFile = `${dir}.json`;
  if (fs.existsSync(manifestFile)) return { dir, ...JSON.parse(fs.readFileSync(manifestFile, 'utf8')) };
  log(`small: generating ${dir} (${targetFiles} files)`);
  fs.rmSync(dir, { recursive: true, force: true });
  const r = rng(42);
  const root = path.join(dir, 'usr/lib/node_modules');
  let count = 0;
  const packages = []; // [{ rel, files: [[rel, content]] }]
  const write = (rel, content, mode = 0o644) => {
    const out = path.join(root, rel);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, content, { mode });
    fs.utimesSync(out, FIXED_MTIME, FIXED_MTIME);
    count++;
  };
  const names = new Set();
  while (count < targetFiles) {
    let name;
    do name = Array.from({ length: 2 + r.int(3) }, () => r.pick(SYL)).join('') + (r() < 0.3 ? '-' + r.pick(JS_WORDS) : '');
    while (names.has(name));
    names.add(name);
    const scoped = r() < 0.15 ? `@${r.pick(SYL)}${r.pick(SYL)}/` : '';
    // 8% of packages are nested copies of an earlier package (identical files: dedup).
    if (packages.length > 10 && r() < 0.08) {
      const src = r.pick(packages);
      const base = `${scoped}${name}/node_modules/${src.name}`;
      for (const [rel, content] of src.files) write(`${base}/${rel}`, content);
      write(`${scoped}${name}/package.json`, JSON.stringify({ name: scoped + name, version: `${r.int(9)}.${r.int(20)}.${r.int(30)}`, dependencies: { [src.name]: '*' } }, null, 2));
      continue;
    }
    const pkgName = scoped + name;
    const files = [];
    const add = (rel, content) => files.push([rel, content]);
    add('package.json', JSON.stringify({ name: pkgName, version: `${r.int(9)}.${r.int(20)}.${r.int(30)}`, description: Array.from({ length: 6 }, () => r.pick(JS_WORDS)).join(' '), main: 'lib/index.js', license: 'MIT', keywords: Array.from({ length: r.int(8) }, () => r.pick(JS_WORDS)), dependencies: Object.fromEntries(Array.from({ length: r.int(6) }, () => [r.pick(SYL) + r.pick(SYL), `^${r.int(9)}.${r.int(9)}.0`])) }, null, 2) + '\n');
    add('LICENSE', r.pick(LICENSES));
    if (r() < 0.8) add('README.md', markdown(r, logNormalSize(r, 3000, 0.9, 60000), pkgName));
    const nLib = 1 + Math.floor(Math.exp(1.6 * r()) * 3);
    for (let i = 0; i < nLib; i++) {
      const base = i === 0 ? 'index' : `${r.pick(JS_WORDS)}${i}`;
      add(`lib/${base}.js`, jsSource(r, logNormalSize(r, 1800, 1.2, 400000)));
      if (r() < 0.35) add(`lib/${base}.d.ts`, jsSource(r, logNormalSize(r, 600, 0.8, 40000)).replace(/const /g, 'export declare const '));
    }
    if (r() < 0.3) {
      const size = logNormalSize(r, 20000, 1.0, 600000);
      add('dist/index.min.js', minified(r, size));
      add('dist/index.min.js.map', sourceMap(r, Math.round(size * 1.5), 'index.min.js.map'));
    }
    const rel = scoped + name;
    for (const [f, content] of files) write(`${rel}/${f}`, content);
    packages.push({ name: pkgName, files });
    if (r() < 0.05) {
      const link = path.join(root, '.bin', name);
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.symlinkSync(`../${rel}/lib/index.js`, link);
    }
  }
  const manifest = summarize(dir, { kind: 'small' });
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 1));
  return { dir, ...manifest };
}

// ---------------------------------------------------------------------------------------------

/** Counts files/bytes and samples the block-level gzip ratio. */
export function summarize(dir, extra = {}) {
  let files = 0, bytes = 0, symlinks = 0, dirs = 0;
  const all = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        dirs++;
        walk(p);
      } else if (e.isSymbolicLink()) symlinks++;
      else if (e.isFile()) {
        files++;
        const size = fs.statSync(p).size;
        bytes += size;
        all.push([p, size]);
      }
    }
  };
  walk(dir);
  // Sample: up to 2 MiB from the middle of evenly spaced files, at most 64 MiB in all.
  const chunks = [];
  const step = Math.max(1, Math.floor(all.length / 400));
  let n = 0;
  for (let i = 0; i < all.length && n < 64 << 20; i += step) {
    const [p, size] = all[i];
    const len = Math.min(size, 2 << 20);
    const b = Buffer.alloc(len);
    const fd = fs.openSync(p, 'r');
    fs.readSync(fd, b, 0, len, Math.floor((size - len) / 2));
    fs.closeSync(fd);
    chunks.push(b);
    n += len;
  }
  const gzipRatio = blockGzipRatio(Buffer.concat(chunks));
  return { ...extra, files, dirs, symlinks, bytes, gzipRatioSample: Number(gzipRatio.toFixed(3)), generatorVersion: GENERATOR_VERSION };
}
