import { defineConfig } from 'vitest/config';
import SkipSummaryReporter from './test/setup/skip-summary-reporter.ts';

export default defineConfig({
  plugins: [
    {
      // Added to whatever reporters the command line chose (`npm test` names its own): the run always ends
      // with the skips grouped by reason.
      name: 'detourwatch:skip-summary',
      configureVitest({ vitest }) {
        vitest.config.reporters.push(new SkipSummaryReporter());
      },
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    // One throw-away PostgreSQL cluster for the run (skipped with its reason when it cannot start).
    globalSetup: ['./test/global-postgres.ts'],
    passWithNoTests: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: true,
    pool: 'forks',
  },
});
