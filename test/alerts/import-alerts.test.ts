/**
 * An import alerts like any other result (issue 14): old RIPE Atlas results imported by the real command
 * (`detourwatch import atlas`, the test world's databases) open an incident that was over before it was
 * recorded, and the webhook on 127.0.0.1 hears it opened and closed, marked late; the traces are stored late.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertPayload } from '../../server/alerts/payload.ts';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import { writeWorldDatabases } from '../helpers/analyze-world.ts';
import { runCli } from '../helpers/run-cli.ts';
import { detourResult, ndjson, PROBE_LOCATION } from '../history/world-results.ts';
import { startReceiver } from './webhook-receiver.ts';

const SECRET = 'import secret';
let dir: string;
let world: string[];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dw-import-alerts-'));
  const dbs = writeWorldDatabases(dir);
  world = ['--city-db', dbs.cityDb, '--asn-db', dbs.asnDb, '--look-up-documentation'];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('import atlas with a webhook', () => {
  it('announces an old incident opened and closed, late, and stores its traces late', async () => {
    const receiver = await startReceiver(SECRET, [200]);
    try {
      const data = path.join(dir, 'data');
      // Two days ago, two results a minute apart: one incident, over long before the import.
      const t = Math.floor(Date.now() / 1000) - 2 * 86_400;
      const input = ndjson([detourResult(t), detourResult(t + 60)]);
      const run = await runCli(
        [
          'import',
          'atlas',
          '-',
          '--data',
          data,
          '--probe-location',
          PROBE_LOCATION,
          ...world,
          '--webhook',
          receiver.url,
          '--webhook-secret',
          SECRET,
          '--webhook-countries',
          'CN',
          // Imports are unverified vantages: without this they are never corroborated, never published.
          '--corroboration',
          '1',
        ],
        input,
      );
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      // The command waited for its alerts.
      const bodies = receiver.received.map((r) => JSON.parse(r.body) as AlertPayload);
      expect(bodies.map((b) => [b.event, b.late])).toEqual([
        ['incident.opened', true],
        ['incident.closed', true],
      ]);
      expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
      // Each event shows the incident as the trace that raised it left it: the first of the two.
      expect(bodies[0]?.incident).toMatchObject({
        countries: ['CN'],
        traceCount: 1,
        firstSeen: new Date(t * 1000).toISOString(),
        state: 'closed',
      });

      const store = openSqliteStore({ dataDir: data, create: false });
      try {
        const [incident] = (
          await store.incidentPage(
            { state: null, since: null, until: null, country: null, asn: null, agent: null, target: null },
            { limit: 10, after: null, now: Date.now(), fingerprint: '' },
          )
        ).items;
        expect(incident).toMatchObject({ id: bodies[0]?.incident.id, traceCount: 2, state: 'closed' });
        const traces = await store.listTraces({ limit: 10 });
        expect(traces.map((x) => x.late)).toEqual([true, true]);
        const deliveries = (
          await store.deliveryPage({ limit: 10, after: null, now: Date.now(), fingerprint: '' })
        ).items;
        expect(deliveries.map((d) => [d.status, d.rule])).toEqual([
          ['delivered', 'rule 1 (via CN)'],
          ['delivered', 'rule 1 (via CN)'],
        ]);
      } finally {
        await store.close();
      }
    } finally {
      await receiver.close();
    }
  });
});
