#!/usr/bin/env node
// Launcher of the `bakery` command. It exists before the build, so `npm ci` can link it into
// node_modules/.bin; the command itself is src/cli.ts, compiled by `npm run build` to dist/cli.js
// and bundled into dist/bundle/bakery.js (what runs: ~40 ms less start-up than ~90 separate
// modules; see rolldown.config.mjs). dist/cli.js is the fallback when only `tsc -b` has run.
import { existsSync } from 'node:fs';

const entry = ['../dist/bundle/bakery.js', '../dist/cli.js'].map((p) => new URL(p, import.meta.url)).find((url) => existsSync(url));
if (entry === undefined) {
  process.stderr.write('bakery: not built yet: run `npm run build` in the repository first\n');
  process.exit(1);
}
await import(entry.href);
