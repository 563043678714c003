/**
 * vitest globalSetup: one throw-away PostgreSQL cluster for the whole run (test/helpers/postgres.ts), its
 * URL handed to the test files with provide('postgres'), stopped at teardown. With
 * DETOURWATCH_TEST_DATABASE_URL set, that server is used and nothing is started; where no cluster can
 * start (not root, no binaries, DETOURWATCH_TEST_NO_ROOT=1), the reason is handed on instead and the
 * PostgreSQL suites skip with it.
 */
import type { TestProject } from 'vitest/node';
import {
  type Cluster,
  clusterUnavailable,
  type PostgresForTests,
  startCluster,
  TEST_DATABASE_URL_ENV,
} from './helpers/postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresForTests;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env[TEST_DATABASE_URL_ENV];
  if (given !== undefined && given !== '') {
    project.provide('postgres', { url: given, reason: null });
    return undefined;
  }
  const unavailable = clusterUnavailable();
  if (unavailable !== null) {
    project.provide('postgres', { url: null, reason: unavailable });
    return undefined;
  }
  let cluster: Cluster;
  try {
    cluster = await startCluster();
  } catch (err) {
    project.provide('postgres', {
      url: null,
      reason: `the throw-away PostgreSQL cluster did not start: ${(err as Error).message.split('\n')[0]}`,
    });
    return undefined;
  }
  project.provide('postgres', { url: cluster.url, reason: null });
  return () => cluster.stop();
}
