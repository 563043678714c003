import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    passWithNoTests: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Lab tests build network namespaces with fixed names: never run two files of them at once.
    fileParallelism: true,
    pool: 'forks',
  },
});
