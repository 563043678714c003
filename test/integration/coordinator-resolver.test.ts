/**
 * The coordinator names the hops of an agent's -n trace by PTR (dnsmasq on 127.0.0.1) before judging it: a
 * Dallas router named dllstx that the database puts in Monterrey is placed in Dallas by `hostname`, and the
 * Denver -> Dallas path is domestic. A resolver that never answers holds up no acknowledgement.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Analyzer, createAnalyzer } from '../../server/analyze/pipeline.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { writeAsnDb, writeCityDb } from '../helpers/mmdb-writer.ts';
import { skipUnless } from '../helpers/skips.ts';
import { AT } from '../placement/places.ts';
import { type Dnsmasq, dnsmasqUsable, silentServer, startDnsmasq } from '../resolve/dnsmasq.ts';
import {
  ackFor,
  getJson,
  resultMessage,
  startTestCoordinator,
  TestClient,
  tracerouteOutput,
} from './coordinator-harness.ts';

const DALLAS_NAME = 'ae-2.r20.dllstx09.us.bb.gin.ntt.net';
// Far enough from Denver that the RTT cannot rule Monterrey out: without the name, a probable detour to MX.
const msRouter = greatCircleKm(AT.denver, AT.monterrey) / 100 + 3;
const OUTPUT = tracerouteOutput('203.0.113.9', [
  '192.0.2.1  0.5 ms  0.6 ms  0.5 ms',
  `198.51.100.10  ${msRouter.toFixed(1)} ms  ${(msRouter + 0.2).toFixed(1)} ms  ${(msRouter + 0.1).toFixed(1)} ms`,
  `203.0.113.9  ${(msRouter + 1).toFixed(1)} ms  ${(msRouter + 1.2).toFixed(1)} ms  ${(msRouter + 1.1).toFixed(1)} ms`,
]);

let analyzer: Analyzer;
beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-resolver-world-'));
  try {
    const cityDb = path.join(dir, 'city.mmdb');
    const asnDb = path.join(dir, 'asn.mmdb');
    const city = (network: string, country: string, name: string, at: { lat: number; lon: number }) => ({
      network,
      country,
      city: name,
      accuracyKm: 20,
      ...at,
    });
    writeCityDb(
      cityDb,
      [
        city('192.0.2.0/28', 'US', 'Denver', AT.denver),
        city('198.51.100.0/28', 'MX', 'Monterrey', AT.monterrey),
        city('203.0.113.0/28', 'US', 'Dallas', AT.dallas),
      ],
      'geoip2',
    );
    writeAsnDb(asnDb, [{ network: '198.51.100.0/28', asn: 2914, org: 'NTT-LTD-2914' }]);
    analyzer = createAnalyzer({ cityDb, asnDb, lookUpDocumentation: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

type Json = Record<string, unknown>;

async function storedTrace(url: string, resultId: string): Promise<Json> {
  const list = (await getJson(`${url}/api/v1/traces?limit=50`)).body as { traces: Json[] };
  const summary = list.traces.find((s) => s.resultId === resultId);
  return (await getJson(`${url}/api/v1/traces/${summary?.id}`)).body as Json;
}

describe(
  'coordinator with a PTR resolver',
  skipUnless('the coordinator resolving against dnsmasq', ...dnsmasqUsable()),
  () => {
    let dns: Dnsmasq;
    beforeAll(async () => {
      dns = await startDnsmasq([['198.51.100.10', DALLAS_NAME]]);
    });
    afterAll(async () => {
      await dns?.stop();
    });

    it('places the router named dllstx in Dallas by hostname: domestic', async () => {
      const t = await startTestCoordinator({
        analyzer,
        reverseDns: { servers: [dns.address], lookUpDocumentation: true, waitMs: 2000 },
      });
      try {
        const { token } = await t.token();
        const client = await TestClient.connect(t.coordinator.agentUrl, token, { location: AT.denver });
        const result = resultMessage(OUTPUT);
        client.send(result);
        expect(await client.waitFor(ackFor(result.resultId))).toMatchObject({ status: 'stored' });
        const detail = await storedTrace(t.coordinator.url, result.resultId);
        expect(detail.verdict).toBe('domestic');
        const hop = (detail.verdictDetail as { hops: Json[] }).hops.find((h) => h.ttl === 2);
        expect(hop).toMatchObject({ name: DALLAS_NAME, country: 'US', city: 'Dallas' });
        expect(hop?.placement).toMatchObject({ source: 'hostname', hostname: DALLAS_NAME, token: 'dllstx' });
        expect(dns.queriesFor('198.51.100.10')).toBe(1);
        // Each of the three (documentation) addresses asked once; only the router has a record.
        expect(t.coordinator.resolver?.stats()).toMatchObject({ queries: 3, droppedNames: 0 });

        // The next trace through the same router is named from the cache.
        const again = resultMessage(OUTPUT);
        client.send(again);
        await client.waitFor(ackFor(again.resultId));
        expect((await storedTrace(t.coordinator.url, again.resultId)).verdict).toBe('domestic');
        expect(dns.queriesFor('198.51.100.10')).toBe(1);
        client.close();
      } finally {
        await t.close();
      }
    });
  },
);

describe('coordinator with a resolver that never answers', () => {
  it('acknowledges after the bounded wait and judges without the name', async () => {
    const silent = await silentServer();
    const t = await startTestCoordinator({
      analyzer,
      // Each query would wait 10 s; the result waits 300 ms for names at most.
      reverseDns: { servers: [silent.address], lookUpDocumentation: true, timeoutMs: 10_000, waitMs: 300 },
    });
    try {
      const { token } = await t.token();
      const client = await TestClient.connect(t.coordinator.agentUrl, token, { location: AT.denver });
      const result = resultMessage(OUTPUT);
      const sent = Date.now();
      client.send(result);
      expect(await client.waitFor(ackFor(result.resultId), 5000)).toMatchObject({ status: 'stored' });
      expect(Date.now() - sent).toBeLessThan(5000); // far below the 10 s DNS timeout
      expect(silent.received()).toBeGreaterThan(0);
      const detail = await storedTrace(t.coordinator.url, result.resultId);
      // Without the name the database's Monterrey stands: the probable detour the name prevents.
      expect(detail).toMatchObject({ verdict: 'detour', confidence: 'probable', foreignCountries: ['MX'] });
      client.close();
    } finally {
      await t.close();
      await silent.close();
    }
  });
});
