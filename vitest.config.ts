import { defineConfig } from 'vitest/config';

// One config for the whole repository. Tests import each workspace package through the
// "@sysext-bakery/source" export condition, so they run against src/ without a build.
// Vitest 4 runs tests in the SSR environment, which needs the condition set there too.
const conditions = ['@sysext-bakery/source'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
