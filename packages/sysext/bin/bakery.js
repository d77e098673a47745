#!/usr/bin/env node
// Launcher of the `bakery` command. It exists before the build, so `npm ci` can link it into
// node_modules/.bin; the command itself is src/cli.ts, compiled to dist/cli.js by `npm run build`.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('bakery: not built yet: run `npm run build` in the repository first\n');
  process.exit(1);
}
await import(cli.href);
