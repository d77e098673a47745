// The `bakery` command as a few bundled files (`npm run build`, after `tsc -b`): the compiled
// workspace code (packages/*/dist) linked into packages/sysext/dist/bundle/, one entry plus one
// chunk per lazily loaded command. Loading ~90 separate ES modules costs ~0.4 ms each at every
// start (resolution, reading, linking): `bakery --version` 80 -> 40 ms, `bakery pack` of a small
// tree 180 -> 120 ms on Node 24. npm packages stay imports (resolved from packages/sysext, which
// lists them as its dependencies): the WASM and native modules load files next to themselves, and
// the compression workers are started with their module's path.
import { defineConfig } from 'rolldown';

const workspaceOrRelative = (id) => id.startsWith('.') || id.startsWith('/') || id.startsWith('@sysext-bakery/') || /^[A-Za-z]:[\\/]/.test(id);

export default defineConfig({
  input: { bakery: 'packages/sysext/dist/cli.js' },
  platform: 'node',
  // Every bare import that is not workspace code: node builtins and npm packages.
  external: (id) => !workspaceOrRelative(id),
  output: {
    dir: 'packages/sysext/dist/bundle',
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    sourcemap: true,
    cleanDir: true,
  },
});
