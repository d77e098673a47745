import { defineConfig } from 'vitest/config';

// One config for the whole repository. Tests import each workspace package through the
// "@sysext-bakery/source" export condition, so they run against src/ without a build.
export default defineConfig({
  resolve: { conditions: ['@sysext-bakery/source'] },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
