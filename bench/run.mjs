#!/usr/bin/env node
// Benchmark: `bakery pack` against `mksquashfs -noappend`, same machine, same run, same input.
//
//   npm run bench [-- --quick] [--runs N] [--size MB] [--files N] [--synthetic]
//                 [--cases large,small,create,tar] [--codecs gzip,zstd,none] [--ours cli|lib] [--no-ceiling] [--no-minimal] [--no-verify]
//
// See bench/README.md. Not a test: it asserts nothing; it prints a table and writes
// bench/results/<timestamp>.json.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { buildCreate, createArgs, imageName } from './create-payload.mjs';
import { buildLarge, buildSmall } from './payload.mjs';
import { buildTar } from './tar-payload.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
if (flag('help')) {
  console.log(fs.readFileSync(path.join(here, 'README.md'), 'utf8'));
  process.exit(0);
}
const quick = flag('quick');
const runs = Number(opt('runs', quick ? 1 : 3));
const sizeMB = Number(opt('size', quick ? 48 : 400));
const smallFiles = Number(opt('files', quick ? 3000 : 25000));
const cases = opt('cases', 'large,small').split(',');
const codecs = opt('codecs', 'gzip,zstd,none').split(',');
const cacheDir = path.resolve(opt('cache', path.join(here, '.payload')));
const outDir = path.resolve(opt('out', path.join(here, 'results')));
const workDir = path.join(cacheDir, 'images');
// --nice N: run every measured child (both tools and the ceiling) under `nice -n N` (negative needs
// root): on a shared machine this keeps other processes from skewing the times. Same for both tools.
const niceLevel = opt('nice', null);
const nicePrefix = niceLevel === null ? [] : ['nice', '-n', String(niceLevel)];
if (niceLevel !== null) {
  // With autogroup scheduling (Linux default), nice only ranks processes of one session against
  // each other; the session's autogroup nice ranks it against other sessions. Set ours (this
  // session only; needs root to lower it).
  try {
    fs.writeFileSync('/proc/self/autogroup', String(niceLevel));
  } catch {
    /* no autogroup, or not permitted */
  }
}
const log = (...m) => console.error(`[bench] ${m.join(' ')}`);

// ---------------------------------------------------------------------------------------------
// Tools.
const which = (cmd) => {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
};
const mksquashfs = which('mksquashfs');
if (mksquashfs === null) {
  console.error('mksquashfs not found: install squashfs-tools (Debian: apt-get install squashfs-tools)');
  process.exit(1);
}
const gnuTime = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
if (gnuTime === null) log('WARNING: /usr/bin/time missing (Debian package "time"): peak RSS will not be measured');
const sqfsdiff = which('sqfsdiff');
const tar2sqfs = which('tar2sqfs');
const mksquashfsVersion = execFileSync(mksquashfs, ['-version'], { encoding: 'utf8' }).split('\n')[0];

// The installed `bakery` command: its launcher runs the bundle (or dist/cli.js after `tsc -b` only).
const cliPath = path.join(repo, 'packages/sysext/bin/bakery.js');
const built = ['packages/sysext/dist/bundle/bakery.js', 'packages/sysext/dist/cli.js'].some((p) => fs.existsSync(path.join(repo, p)));
const libDriver = path.join(here, 'pack-lib.mjs');
const oursMode = opt('ours', built ? 'cli' : 'lib');
if (oursMode === 'lib' && !fs.existsSync(path.join(repo, 'packages/squashfs/dist/index.js'))) {
  console.error('packages/squashfs/dist is missing: run `npm run build` first');
  process.exit(1);
}
function oursCommand(payload, image, codec) {
  const c = codec === 'gzip' ? [] : ['--compression', codec];
  // The create case writes into a directory; the image is moved to `image` after the run.
  if (payload.kind === 'create') return [process.execPath, cliPath, ...createArgs(payload, `${image}.d`), ...c];
  if (payload.kind === 'tar') return [process.execPath, cliPath, 'pack', '--tar', payload.tar, image, ...c];
  return oursMode === 'cli'
    ? [process.execPath, cliPath, 'pack', payload.dir, image, ...c]
    : [process.execPath, libDriver, payload.dir, image, '--compression', codec];
}
/**
 * The tool ours is measured against (refName): mksquashfs, as the Flatcar bakery runs it for a
 * sysext (-all-root) in the create case; tar2sqfs in the tar case. Codec "none" (mksquashfs):
 * nothing compressed (inodes and ids, data, fragments, xattrs), as `--compression none`.
 */
const MKSQUASHFS_CODEC = { gzip: [], zstd: ['-comp', 'zstd'], none: ['-noI', '-noD', '-noF', '-noX'] };
function referenceCommand(payload, image, codec) {
  // The tar case: tar2sqfs on all cores, with an export table as ours and mksquashfs write.
  if (payload.kind === 'tar') return ['sh', '-c', 'exec "$0" -q -f -e -j "$1" -c "$2" "$3" < "$4"', tar2sqfs, String(cores), codec, image, payload.tar];
  return [mksquashfs, payload.dir, image, '-noappend', ...(payload.kind === 'create' ? ['-all-root'] : []), ...MKSQUASHFS_CODEC[codec]];
}
/** After a create run: its image to `image`, its output directory removed. */
function collectCreated(image) {
  const created = path.join(`${image}.d`, imageName());
  if (fs.existsSync(created)) fs.renameSync(created, image);
  fs.rmSync(`${image}.d`, { recursive: true, force: true });
}

/** Busy CPU seconds of the whole machine so far (all processes), from /proc/stat; null elsewhere. */
function machineBusySeconds() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...
    return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0)) / 100;
  } catch {
    return null;
  }
}

/**
 * Runs a command; wall time from here, peak RSS / CPU time from GNU time. `otherCpu` is the CPU
 * time other processes used meanwhile (machine busy time minus the child's): noise indicator.
 */
function measure(cmd) {
  const timeFile = path.join(workDir, `time-${process.pid}.txt`);
  const argv = [...nicePrefix, ...(gnuTime ? [gnuTime, '-f', '%e %U %S %M', '-o', timeFile, ...cmd] : cmd)];
  return new Promise((resolve) => {
    const busy0 = machineBusySeconds();
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      if (stderr.length < 20000) stderr += d;
    });
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      let user = null, sys = null, rssMB = null;
      if (gnuTime) {
        try {
          const lines = fs.readFileSync(timeFile, 'utf8').trim().split('\n');
          const [, u, s, m] = lines[lines.length - 1].split(' ').map(Number);
          user = u;
          sys = s;
          rssMB = m / 1024;
        } catch {
          /* command died before time wrote */
        }
      }
      const busy1 = machineBusySeconds();
      const otherCpu = busy0 !== null && busy1 !== null && user !== null ? Math.max(0, busy1 - busy0 - user - sys) : null;
      resolve({ code, wall, user, sys, rssMB, otherCpu, stderr: code === 0 ? undefined : stderr.slice(-2000) });
    });
  });
}

function warmCache(dir) {
  const buf = Buffer.alloc(1 << 20);
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const fd = fs.openSync(p, 'r');
        while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
        fs.closeSync(fd);
      }
    }
  };
  walk(dir);
}

/**
 * Runs a measuring script of this directory (under --nice) and parses the JSON of its last line;
 * null (and a log line naming `what`) when it fails.
 */
function measureScript(script, args, what) {
  try {
    const argv = [...nicePrefix, process.execPath, path.join(here, script), ...args];
    const out = execFileSync(argv[0], argv.slice(1), { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').pop());
  } catch (e) {
    log(`${what} unavailable: ${String(e.stderr ?? e.message).trim().split('\n').pop()}`);
    return null;
  }
}

/** Ceiling with one method (`via`), or null when that method is unavailable here. */
function ceilingVia(dir, codec, via) {
  return measureScript('ceiling.mjs', [dir, codec, '--via', via], `ceiling ${codec} via ${via}`);
}

/**
 * The machine's limit for this codec: the fastest way this Node can run it on all cores with
 * nothing else (gzip: libdeflate's WASM in workers, as the project; zstd: node:zlib async on the
 * libuv pool and native sync calls in worker threads, or zstd WASM in workers where node:zlib has
 * no zstd). All measurements are kept in `all`.
 */
function ceiling(dir, codec) {
  const vias = codec === 'gzip' ? ['wasm'] : typeof zlib.zstdCompress === 'function' ? ['zlib', 'workers'] : ['wasm'];
  const all = vias.map((via) => ceilingVia(dir, codec, via)).filter((c) => c !== null);
  if (all.length === 0) return null;
  const best = all.reduce((a, b) => (b.mbPerSec > a.mbPerSec ? b : a));
  return { ...best, all: all.map((c) => ({ via: c.via, mbPerSec: c.mbPerSec, ratio: c.ratio })) };
}

/**
 * CPU seconds it takes just to read the payload (bench/io-floor.mjs: readdir, lstat, xattr list,
 * open, read, close, one thread), or null when it cannot run.
 */
function ioFloor(dir) {
  return measureScript('io-floor.mjs', [dir], 'I/O floor');
}

/** The ceiling measurement with the median speed, with every round's speed in `rounds`. */
function medianCeiling(all) {
  if (all.length === 0) return null;
  const sorted = [...all].sort((a, b) => a.mbPerSec - b.mbPerSec);
  return { ...sorted[(sorted.length - 1) >> 1], rounds: all.map((c) => c.mbPerSec) };
}

const median = (xs) => {
  const v = xs.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const max = (xs) => {
  const v = xs.filter((x) => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : Math.max(...v);
};

// Targets from the issue (2 cores, one run).
const TARGETS = {
  'large/gzip': { wall: 0.8, size: 1.02 },
  'large/zstd': { wall: 1.0, size: 1.01 },
  'small/gzip': { wall: 1.0, size: 1.01 },
  'small/zstd': { wall: 1.0, size: 1.01 },
  // Not targets of the issue: bakery create end to end (cache warm) against mksquashfs -all-root of
  // its tree, held to the large-binaries targets.
  'create/gzip': { wall: 0.8, size: 1.02 },
  'create/zstd': { wall: 1.0, size: 1.01 },
};

// ---------------------------------------------------------------------------------------------
fs.mkdirSync(workDir, { recursive: true });
fs.mkdirSync(outDir, { recursive: true });
const cores = os.availableParallelism?.() ?? os.cpus().length;
log(`node ${process.version} (${process.execPath}), ${cores} cores, ${mksquashfsVersion}, ours via ${oursMode === 'cli' ? 'bakery pack (packages/sysext/bin/bakery.js)' : 'bench/pack-lib.mjs (writeImage)'}`);

let commit = null;
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
} catch {
  /* not a git checkout */
}
const payloads = {};
if (cases.includes('large')) payloads.large = buildLarge(cacheDir, { sizeMB, synthetic: flag('synthetic'), log });
if (cases.includes('small')) payloads.small = buildSmall(cacheDir, { files: smallFiles, log });
if (cases.includes('create')) {
  const unsquashfs = which('unsquashfs');
  if (oursMode !== 'cli' || unsquashfs === null) log(`create: skipped (${oursMode !== 'cli' ? 'needs the built bakery command' : 'needs unsquashfs'})`);
  else payloads.create = buildCreate(cacheDir, payloads.large ?? buildLarge(cacheDir, { sizeMB, synthetic: flag('synthetic'), log }), { cli: cliPath, unsquashfs, log });
}

if (cases.includes('tar')) {
  if (tar2sqfs === null) log('tar: skipped (needs tar2sqfs: apt-get install squashfs-tools-ng)');
  else payloads.tar = buildTar(payloads.small ?? buildSmall(cacheDir, { files: smallFiles, log }), { log });
}
/** The tool ours is compared with: mksquashfs, or tar2sqfs in the tar case. */
const refName = (payload) => (payload.kind === 'tar' ? 'tar2sqfs' : 'mksquashfs');

const results = [];
for (const [name, payload] of Object.entries(payloads)) {
  log(`${name}: ${payload.files} files, ${(payload.bytes / 1048576).toFixed(1)} MiB, block gzip ratio ~${payload.gzipRatioSample} (${payload.dir})`);
  warmCache(payload.dir);
  for (const codec of codecs) {
    const key = `${name}/${codec}`;
    if (payload.kind === 'tar' && codec === 'none') {
      log(`${key}: skipped (tar2sqfs always compresses)`);
      continue;
    }
    const samples = { ours: [], mksquashfs: [] };
    // The ceiling is measured once per round, after both tools, so that it sees the same machine
    // (the speed of this machine drifts by several % within minutes); its median is reported.
    /** The ceiling of each round (null where none was measured). */
    const roundCeilings = [];
    const floors = [];
    /** Each round's run of bench/minimal-packer.mjs (null where none ran or it failed). */
    const minimal = [];
    /** Share of a ceiling reached by a run of `wall` seconds over this payload. */
    const shareOf = (wall, ceiling) => payload.bytes / 1048576 / wall / ceiling.mbPerSec;
    /** Each round's share of that round's ceiling, for the runs in `ms` (null: failed or no ceiling). */
    const roundSharesOf = (ms) => ms.map((m, i) => (m !== null && m.code === 0 && roundCeilings[i] ? shareOf(m.wall, roundCeilings[i]) : null));
    let verify = null;
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? ['ours', 'mksquashfs'] : ['mksquashfs', 'ours'];
      const images = {};
      for (const tool of order) {
        const image = path.join(workDir, `${name}-${codec}-${tool}-${process.pid}.img`); // pid: concurrent runs do not collide
        fs.rmSync(image, { force: true });
        const cmd = tool === 'ours' ? oursCommand(payload, image, codec) : referenceCommand(payload, image, codec);
        const m = await measure(cmd);
        if (tool === 'ours' && payload.kind === 'create') collectCreated(image);
        m.size = m.code === 0 && fs.existsSync(image) ? fs.statSync(image).size : null;
        samples[tool].push(m);
        images[tool] = image;
        log(`${key} run ${i + 1}/${runs} ${(tool === 'ours' ? tool : refName(payload)).padEnd(10)} ${m.code === 0 ? '' : `FAILED (exit ${m.code}) `}${m.wall.toFixed(2)} s, ${m.rssMB?.toFixed(0) ?? '?'} MB RSS, ${m.size ?? '-'} bytes, cpu ${m.user === null ? '?' : (m.user + m.sys).toFixed(1)} s${m.otherCpu > 0.1 * m.wall ? `, NOISE: other processes used ${m.otherCpu.toFixed(1)} cpu-s meanwhile` : ''}`);
        if (m.code !== 0 && m.stderr) log(m.stderr.trim().split('\n').slice(-5).join('\n'));
      }
      if (i === 0 && !flag('no-verify') && sqfsdiff && samples.ours[0].code === 0 && samples.mksquashfs[0].code === 0) {
        // Same contents, owners, permissions (layout and compression may differ).
        try {
          execFileSync(sqfsdiff, ['-a', images.mksquashfs, '-b', images.ours], { stdio: 'pipe', maxBuffer: 64 << 20 });
          verify = 'sqfsdiff: identical contents';
        } catch (e) {
          // "has a basic/an extended type": the same file as a basic inode in one image and an
          // extended one in the other (ours records sparse blocks in an extended inode).
          const lines = String(e.stdout ?? '').split('\n').filter((l) => l !== '' && !/ has an? (basic|extended) type$/.test(l));
          verify =
            e.status === 1 && lines.length === 0
              ? 'sqfsdiff: identical contents (some inodes basic in one image, extended in the other)'
              : `sqfsdiff exit ${e.status}: ${lines.slice(0, 5).join(' | ')}`;
        }
        log(`${key}: ${verify}`);
      }
      for (const image of Object.values(images)) fs.rmSync(image, { force: true });
      // No codec, no codec ceiling: the "none" case measures everything else.
      // The tar case has none either: the ceiling measures the payload's tree, not the archive.
      const c = flag('no-ceiling') || codec === 'none' || payload.kind === 'tar' ? null : ceiling(payload.dir, codec);
      roundCeilings.push(c);
      if (c) {
        log(`${key} run ${i + 1}/${runs} codec ceiling ${c.mbPerSec.toFixed(1)} MB/s (${c.all.map((x) => `${x.via} ${x.mbPerSec.toFixed(1)}`).join(', ')}; ${c.cores} cores)`);
        const io = ioFloor(payload.dir);
        if (io) {
          floors.push(io);
          log(`${key} run ${i + 1}/${runs} reading the payload alone: ${io.cpuSeconds.toFixed(3)} cpu-s${io.xattrs ? '' : ' (no xattr module)'}`);
        }
      }
      // The least a Node packer must do (bench/minimal-packer.mjs), in the same round: a directory
      // payload with a codec (the create case packs a tree it first assembles; tar has its own reader).
      if (!flag('no-minimal') && c && payload.kind !== 'create') {
        const out = path.join(workDir, `${name}-${codec}-minimal-${process.pid}.bin`);
        const m = await measure([process.execPath, path.join(here, 'minimal-packer.mjs'), payload.dir, out, codec]);
        fs.rmSync(out, { force: true });
        minimal.push(m.code === 0 ? m : null);
        if (m.code === 0) log(`${key} run ${i + 1}/${runs} minimal Node packer ${m.wall.toFixed(2)} s, cpu ${(m.user + m.sys).toFixed(1)} s (${(shareOf(m.wall, c) * 100).toFixed(0)}% of this round's ceiling)`);
        else log(`${key} run ${i + 1}/${runs} minimal Node packer FAILED (exit ${m.code}): ${String(m.stderr ?? '').trim().split('\n').pop()}`);
      } else minimal.push(null);
    }
    const ceil = medianCeiling(roundCeilings.filter((c) => c !== null));
    // The best share of the ceiling a packer can reach: the codec's time on all cores plus the
    // CPU time of reading the input spread over all cores (no tree, tables, hashing or start-up).
    const io = floors.length === 0 ? null : { cpuSeconds: median(floors.map((x) => x.cpuSeconds)), xattrs: floors[0].xattrs, rounds: floors.map((x) => x.cpuSeconds) };
    const ceilSeconds = ceil ? payload.bytes / 1048576 / ceil.mbPerSec : null;
    const bound = ceil && io ? ceilSeconds / (ceilSeconds + io.cpuSeconds / ceil.cores) : null;
    const ok = (s) => s.filter((m) => m.code === 0);
    const stat = (tool) => {
      const s = ok(samples[tool]);
      return {
        runs: samples[tool].length,
        failures: samples[tool].length - s.length,
        wallMedian: median(s.map((m) => m.wall)),
        cpuMedian: median(s.map((m) => (m.user ?? NaN) + (m.sys ?? NaN))),
        rssPeakMB: max(s.map((m) => m.rssMB)),
        otherCpuMedian: median(s.map((m) => m.otherCpu)),
        size: median(s.map((m) => m.size)),
        samples: samples[tool],
      };
    };
    const ours = stat('ours');
    const mk = stat('mksquashfs');
    const r = {
      payload: name,
      codec,
      inputBytes: payload.bytes,
      inputFiles: payload.files,
      // The tool in the `mksquashfs` fields: mksquashfs, or tar2sqfs in the tar case.
      reference: refName(payload),
      ours,
      mksquashfs: mk,
      wallRatio: ours.wallMedian && mk.wallMedian ? ours.wallMedian / mk.wallMedian : null,
      // Each round runs both tools back to back: its ratio cancels the machine's slow drift,
      // which the ratio of the medians (the figure the targets use) does not.
      roundRatios: samples.ours.map((m, i) => (m.code === 0 && samples.mksquashfs[i]?.code === 0 ? m.wall / samples.mksquashfs[i].wall : null)),
      // Our share of the ceiling in each round, against the ceiling measured right after both
      // tools in that round: the ceiling drifts with the machine as much as the tools do (up to
      // ~18% between rounds of one run on the 2-core VM), which the share of the medians does not cancel.
      roundShares: roundSharesOf(samples.ours),
      // The same share for the minimal Node packer (bench/minimal-packer.mjs) of each round.
      minimal: minimal.some((m) => m !== null)
        ? {
            wallMedian: median(minimal.map((m) => m?.wall ?? null)),
            cpuMedian: median(minimal.map((m) => (m === null ? null : (m.user ?? NaN) + (m.sys ?? NaN)))),
            roundShares: roundSharesOf(minimal),
            samples: minimal,
          }
        : null,
      sizeRatio: ours.size && mk.size ? ours.size / mk.size : null,
      oursMBps: ours.wallMedian ? payload.bytes / 1048576 / ours.wallMedian : null,
      mksquashfsMBps: mk.wallMedian ? payload.bytes / 1048576 / mk.wallMedian : null,
      ceiling: ceil,
      ioFloor: io,
      ceilingBound: bound,
      verify,
      target: TARGETS[key],
    };
    // Share of the machine's CPU other processes used during our runs and mksquashfs's (worst run).
    const others = [...ours.samples, ...mk.samples].filter((m) => m.otherCpu !== null).map((m) => m.otherCpu / (m.wall * cores));
    r.noise = others.length ? Math.max(...others) : null;
    r.oursVsCeiling = r.oursMBps && ceil ? r.oursMBps / ceil.mbPerSec : null;
    r.mksquashfsVsCeiling = r.mksquashfsMBps && ceil ? r.mksquashfsMBps / ceil.mbPerSec : null;
    results.push(r);
  }
}

// ---------------------------------------------------------------------------------------------
const f = (x, d = 2) => (x === null || x === undefined ? '-' : x.toFixed(d));
const verdict = (value, limit) => (value === null || limit === undefined ? '' : value <= limit ? ' ok' : ' MISS');
const rows = [
  ['case', 'ours s', 'mksq s', 'time ratio', 'size ratio', 'ours MB', 'mksq MB', 'ours MB/s', 'mksq MB/s', 'ceiling MB/s', 'ours/ceil', 'bound', 'ours cpu s', 'mksq cpu s', 'cpu ratio', 'noise'],
];
for (const r of results) {
  rows.push([
    `${r.payload}/${r.codec}`,
    f(r.ours.wallMedian),
    f(r.mksquashfs.wallMedian),
    f(r.wallRatio, 3) + verdict(r.wallRatio, r.target?.wall),
    f(r.sizeRatio, 4) + verdict(r.sizeRatio, r.target?.size),
    // RSS against mksquashfs's (a target); tar2sqfs streams in a few MB, which Node cannot.
    f(r.ours.rssPeakMB, 0) + (r.reference === 'mksquashfs' ? verdict(r.ours.rssPeakMB, r.mksquashfs.rssPeakMB ?? Infinity) : ''),
    f(r.mksquashfs.rssPeakMB, 0),
    f(r.oursMBps, 1),
    f(r.mksquashfsMBps, 1),
    r.ceiling ? `${f(r.ceiling.mbPerSec, 1)} ${r.ceiling.via}` : '-',
    r.oursVsCeiling === null ? '-' : `${(r.oursVsCeiling * 100).toFixed(0)}%${r.oursVsCeiling >= 0.85 ? ' ok' : ' MISS'}`,
    r.ceilingBound === null ? '-' : `${(r.ceilingBound * 100).toFixed(0)}%`,
    f(r.ours.cpuMedian, 1),
    f(r.mksquashfs.cpuMedian, 1),
    r.ours.cpuMedian && r.mksquashfs.cpuMedian ? f(r.ours.cpuMedian / r.mksquashfs.cpuMedian, 3) : '-',
    r.noise === null ? '-' : `${(r.noise * 100).toFixed(0)}%`,
  ]);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
console.log(`\nsysext-bakery benchmark: node ${process.version}, ${cores} cores, ${os.cpus()[0]?.model ?? '?'}, ${mksquashfsVersion}`);
console.log(`ours = ${oursMode === 'cli' ? 'bakery pack' : 'writeImage via bench/pack-lib.mjs'}${payloads.create ? ' (create: bakery create kubernetes, cache warm, vs mksquashfs -all-root of its tree)' : ''}; ${runs} run(s) each, alternating${niceLevel === null ? '' : `, children under nice -n ${niceLevel}`}; medians; RSS = peak over runs${gnuTime ? '' : ' (NOT MEASURED: /usr/bin/time missing)'}`);
for (const [name, p] of Object.entries(payloads)) console.log(`  ${name}: ${p.files} files, ${(p.bytes / 1048576).toFixed(1)} MiB, gzip block ratio ~${p.gzipRatioSample}${p.realBinaries !== undefined ? `, ${p.realBinaries} real binaries + ${p.generated} generated` : ''}`);
console.log('');
for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
console.log('bound = the best share of the ceiling possible: the ceiling\'s time plus the CPU time of only reading the input (bench/io-floor.mjs) spread over all cores');
console.log('noise = largest share of the machine\'s CPU that other processes used during a run (should be ~0%; re-run if not)');
console.log('targets: time ratio <= 0.8 (large/gzip), 1.0 otherwise; size ratio <= 1.02 (large/gzip), 1.01 otherwise; RSS <= mksquashfs; ours >= 85% of ceiling');
if (payloads.tar) {
  const v = execFileSync(tar2sqfs, ['--version'], { encoding: 'utf8' }).split('\n')[0];
  console.log(`tar: bakery pack --tar ${path.basename(payloads.tar.tar)} (${(payloads.tar.tarBytes / 1048576).toFixed(1)} MiB) against ${v} reading it from stdin (-j ${cores} -e): the mksq columns are tar2sqfs's; no ceiling, not a target`);
}
if (codecs.includes('none')) {
  console.log('none = no compression on either side (--compression none; mksquashfs -noI -noD -noF -noX): everything but the codec (reading, dedup, tables, writing), the part more cores do not speed up; not a target');
}
if (typeof zlib.zstdCompress !== 'function' && results.some((r) => r.codec === 'zstd')) {
  console.log(`note: node:zlib has no zstd in Node ${process.version}: zstd ran in WASM (~60% of native speed). Node >= 22.15 has it natively: /path/to/node bench/run.mjs`);
}
for (const r of results) if (r.verify) console.log(`  ${r.payload}/${r.codec}: ${r.verify}`);
if (runs > 1) {
  console.log('time ratio of each round (both tools back to back, so the machine\'s drift cancels; the table uses the medians):');
  for (const r of results) console.log(`  ${r.payload}/${r.codec}: ${r.roundRatios.map((x) => (x === null ? 'failed' : x.toFixed(3))).join(' ')}`);
  const shared = results.filter((r) => r.roundShares.some((x) => x !== null));
  if (shared.length > 0) {
    console.log('our share of the ceiling in each round (against the ceiling measured right after both tools; the table uses the medians):');
    const pct = (xs) => xs.map((x) => (x === null ? '-' : `${(x * 100).toFixed(0)}%`)).join(' ');
    for (const r of shared) console.log(`  ${r.payload}/${r.codec}: ${pct(r.roundShares)}${r.minimal ? `; minimal Node packer (bench/minimal-packer.mjs): ${pct(r.minimal.roundShares)}` : ''}`);
  }
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const report = {
  date: new Date().toISOString(),
  commit,
  node: process.version,
  nodePath: process.execPath,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  cpu: os.cpus()[0]?.model ?? null,
  cores,
  memoryMB: Math.round(os.totalmem() / 1048576),
  mksquashfs: mksquashfsVersion,
  ours: oursMode,
  runs,
  nice: niceLevel,
  peakRssMeasured: gnuTime !== null,
  payloads: Object.fromEntries(Object.entries(payloads).map(([k, p]) => [k, { ...p, list: undefined }])),
  results,
};
const outFile = path.join(outDir, `${stamp}.json`);
fs.writeFileSync(outFile, JSON.stringify(report, null, 2) + '\n');
console.log(`\nJSON: ${path.relative(process.cwd(), outFile)}`);
