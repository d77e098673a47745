// Summarizes V8 .cpuprofile files (node --cpu-prof): self and inclusive time per function, and per
// source file. One profile per thread (main + each worker).
//
//   node bench/profile-summary.mjs <file.cpuprofile>... [--top N]
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const topIdx = args.indexOf('--top');
const top = topIdx >= 0 ? Number(args[topIdx + 1]) : 25;
const files = args.filter((a, i) => !a.startsWith('--') && (topIdx < 0 || i !== topIdx + 1));

function shortUrl(url) {
  if (!url) return '';
  const u = url.replace(/^file:\/\//, '');
  const i = u.indexOf('/packages/');
  return i >= 0 ? u.slice(i + 1) : u.startsWith('node:') ? u : path.basename(u);
}

for (const file of files) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const total = prof.endTime - prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] ?? 0;
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
  }
  const selfByFn = new Map();
  const inclByFn = new Map();
  const byFile = new Map();
  for (const [id, t] of self) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const key = `${cf.functionName || '(anonymous)'}  ${shortUrl(cf.url)}${cf.url ? ':' + (cf.lineNumber + 1) : ''}`;
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + t);
    const fk = shortUrl(cf.url) || cf.functionName;
    byFile.set(fk, (byFile.get(fk) ?? 0) + t);
    // inclusive: each distinct function on the stack once
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const c = byId.get(cur).callFrame;
      const k = `${c.functionName || '(anonymous)'}  ${shortUrl(c.url)}${c.url ? ':' + (c.lineNumber + 1) : ''}`;
      if (seen.has(k)) continue;
      seen.add(k);
      inclByFn.set(k, (inclByFn.get(k) ?? 0) + t);
    }
  }
  const ms = (us) => (us / 1000).toFixed(0).padStart(7);
  const pct = (us) => ((100 * us) / total).toFixed(1).padStart(5) + '%';
  console.log(`\n=== ${path.basename(file)}: ${(total / 1e6).toFixed(2)} s sampled`);
  console.log('--- self time by function');
  for (const [k, t] of [...selfByFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(t)} ms ${pct(t)}  ${k}`);
  console.log('--- self time by file');
  for (const [k, t] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${ms(t)} ms ${pct(t)}  ${k}`);
  console.log('--- inclusive time by function');
  for (const [k, t] of [...inclByFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(t)} ms ${pct(t)}  ${k}`);
}
