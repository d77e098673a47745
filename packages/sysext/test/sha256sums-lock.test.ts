/**
 * SHA256SUMS is read, updated and written under a lock file: builds running at once into one
 * directory, in other processes too, keep every line; a lock left by a dead process is taken
 * over; a live one makes the update wait, then fail with a message naming it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSha256Sums, updateSha256SumsFile } from '@sysext-bakery/sysext';
import { REPO_ROOT, ensureBuilt } from './helpers/cli.js';

let dir: string;
beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'bakery-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const H = (n: number) => n.toString(16).padStart(64, '0');

function runNode(source: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe('SHA256SUMS lock', () => {
  it('keeps every line when six processes update one directory at once', async () => {
    const out = join(dir, 'many');
    await rm(out, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(out));
    const lib = pathToFileURL(resolve(REPO_ROOT, 'packages/sysext/dist/index.js')).href;
    const runs = Array.from({ length: 6 }, (_, p) =>
      runNode(
        `const { updateSha256SumsFile } = await import(${JSON.stringify(lib)});\n` +
          `for (let j = 0; j < 15; j++) await updateSha256SumsFile(${JSON.stringify(out)}, 'p${p}-' + j + '.raw', (${p} * 100 + j).toString(16).padStart(64, '0'));`,
      ),
    );
    const results = await Promise.all(runs);
    for (const r of results) expect(r.stderr).toBe('');
    const entries = parseSha256Sums(await readFile(join(out, 'SHA256SUMS'), 'utf8'));
    expect(entries.length).toBe(90);
    for (let p = 0; p < 6; p++) for (let j = 0; j < 15; j++) expect(entries).toContainEqual({ name: `p${p}-${j}.raw`, sha256: H(p * 100 + j) });
    await expect(stat(join(out, '.SHA256SUMS.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps every line when one process updates it from many builds at once', async () => {
    const out = await mkdtemp(join(dir, 'inproc-'));
    await Promise.all(Array.from({ length: 40 }, (_, i) => updateSha256SumsFile(out, `b${i}.raw`, H(i))));
    expect(parseSha256Sums(await readFile(join(out, 'SHA256SUMS'), 'utf8')).length).toBe(40);
  });

  it('takes over a lock left by a dead process, and one older than staleMs', async () => {
    const out = await mkdtemp(join(dir, 'stale-'));
    const dead = spawn(process.execPath, ['-e', '']);
    const pid = dead.pid!;
    await new Promise((r) => dead.on('close', r));
    await writeFile(join(out, '.SHA256SUMS.lock'), `${pid} ${hostname()}\n`);
    await updateSha256SumsFile(out, 'a.raw', H(1), { timeoutMs: 5000 });
    // Another host's lock: only its age tells.
    await writeFile(join(out, '.SHA256SUMS.lock'), `1 some-other-host\n`);
    const old = new Date(Date.now() - 60_000);
    await utimes(join(out, '.SHA256SUMS.lock'), old, old);
    await updateSha256SumsFile(out, 'b.raw', H(2), { timeoutMs: 5000, staleMs: 30_000 });
    expect(parseSha256Sums(await readFile(join(out, 'SHA256SUMS'), 'utf8')).map((e) => e.name)).toEqual(['a.raw', 'b.raw']);
    await expect(stat(join(out, '.SHA256SUMS.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('waits for a live lock, then fails naming it, and leaves it and SHA256SUMS alone', async () => {
    const out = await mkdtemp(join(dir, 'live-'));
    await writeFile(join(out, 'SHA256SUMS'), `${H(7)}  keep.raw\n`);
    // Held by a live process on this host (our parent, the test runner's process).
    await writeFile(join(out, '.SHA256SUMS.lock'), `${process.ppid} ${hostname()}\n`);
    const started = Date.now();
    await expect(updateSha256SumsFile(out, 'x.raw', H(8), { timeoutMs: 300 })).rejects.toThrow(/\.SHA256SUMS\.lock is held by another process/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(await readFile(join(out, '.SHA256SUMS.lock'), 'utf8')).toBe(`${process.ppid} ${hostname()}\n`);
    expect(await readFile(join(out, 'SHA256SUMS'), 'utf8')).toBe(`${H(7)}  keep.raw\n`);
  });
});
