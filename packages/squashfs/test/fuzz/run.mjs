#!/usr/bin/env node
// Long fuzz run of the reader (`npm run fuzz`): builds, then runs fuzz-reader.test.ts with
// FUZZ_RUNS cases (default 20000). Portable: no shell syntax, works on Windows too.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin/tsc');
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const env = { ...process.env, FUZZ_RUNS: process.env.FUZZ_RUNS ?? '20000' };
let r = spawnSync(process.execPath, [tsc, '-b'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
r = spawnSync(process.execPath, [vitest, 'run', 'packages/squashfs/test/fuzz-reader.test.ts', ...process.argv.slice(2)], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
