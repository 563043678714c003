/**
 * The store's conformance suite for tokens, agents, results and traces: every case runs on SQLite and on
 * PostgreSQL (test/history/test-store.ts), and both must answer the same.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTraces } from '../../server/parse/index.ts';
import type { AgentHello } from '../../server/store/agent-store.ts';
import { hashToken } from '../../server/store/tokens.ts';
import type { ResultRecord } from '../../server/store/trace-store.ts';
import { createWorldAnalyzer } from '../helpers/analyze-world.ts';
import { describeEngines, storeEngines, type TestStore } from '../history/test-store.ts';
import { AGENT_LOCATION, DETOUR_OUTPUT, DOMESTIC_OUTPUT } from '../integration/coordinator-harness.ts';

const analyzer = createWorldAnalyzer();
const engines = await storeEngines('tokens, agents, results and traces');

function hello(tokenId: number, at: string, overrides: Partial<AgentHello> = {}): AgentHello {
  return {
    tokenId,
    name: 'sfo-volunteer',
    location: AGENT_LOCATION,
    engines: ['scamper', 'traceroute'],
    limits: { maxConcurrent: 2, maxPerMinute: 30 },
    agentVersion: '0.1.0',
    protocolVersion: 1,
    address: '198.51.100.9',
    at,
    ...overrides,
  };
}

function result(agent: string, resultId: string, output: string): ResultRecord {
  const traces = parseTraces(output, 'traceroute').map((trace) => ({
    origin: 'agent' as const,
    agentId: agent,
    trace,
    verdict: analyzer.analyze(trace, { ...AGENT_LOCATION, source: 'declared' }),
  }));
  return {
    resultId,
    agentId: agent,
    taskId: 'tk_1',
    target: traces[0]?.trace.destination.address ?? 'unknown',
    engine: 'traceroute',
    startedAt: '2026-03-01T12:00:00.000Z',
    durationMs: 800,
    receivedAt: '2026-03-01T12:00:01.000Z',
    output,
    error: null,
    traces,
  };
}

describeEngines(engines, (engine) => {
  let env: TestStore;
  beforeEach(async () => {
    env = await engine.open();
  });
  afterEach(() => env.cleanup());

  async function agentId(): Promise<string> {
    const token = await env.store.createToken('sfo-volunteer', hashToken('t'), '2026-01-01T00:00:00.000Z');
    return (await env.store.recordHello(hello(token.id, '2026-01-01T00:00:01.000Z'))).id;
  }

  it('reopening keeps the data', async () => {
    await env.store.createToken('kept', hashToken('k'), '2026-01-01T00:00:00.000Z');
    const reopened = await env.reopen();
    expect((await reopened.listTokens()).map((t) => t.name)).toEqual(['kept']);
  });

  describe('tokens', () => {
    it('keeps only the hash, finds by hash, revokes once', async () => {
      const created = await env.store.createToken(
        'nyc',
        hashToken('secret-token'),
        '2026-02-01T00:00:00.000Z',
      );
      expect(created).toEqual({
        id: created.id,
        name: 'nyc',
        createdAt: '2026-02-01T00:00:00.000Z',
        revokedAt: null,
        role: 'agent',
        owner: null,
      });
      const stored = await env.query('SELECT * FROM tokens');
      expect(JSON.stringify(stored)).not.toContain('secret-token');
      expect(await env.store.findTokenByHash(hashToken('secret-token'))).toEqual(created);
      expect(await env.store.findTokenByHash(hashToken('other'))).toBeNull();
      expect(await env.store.revokeToken(created.id, '2026-02-02T00:00:00.000Z')).toBe('revoked');
      expect(await env.store.revokeToken(created.id, '2026-02-03T00:00:00.000Z')).toBe('already-revoked');
      expect(await env.store.revokeToken(created.id + 100, '2026-02-03T00:00:00.000Z')).toBe('not-found');
      expect((await env.store.findTokenByHash(hashToken('secret-token')))?.revokedAt).toBe(
        '2026-02-02T00:00:00.000Z',
      );
    });
  });

  describe('agents', () => {
    it('a first hello creates the agent, later ones update it under the same id', async () => {
      const token = await env.store.createToken('sfo', hashToken('a'), '2026-01-01T00:00:00.000Z');
      const first = await env.store.recordHello(hello(token.id, '2026-01-01T00:00:01.000Z'));
      expect(first).toMatchObject({ tokenId: token.id, connected: true, engines: ['scamper', 'traceroute'] });
      const second = await env.store.recordHello(
        hello(token.id, '2026-01-02T00:00:00.000Z', {
          location: null,
          engines: ['mtr'],
          agentVersion: '0.2.0',
        }),
      );
      expect(second.id).toBe(first.id);
      expect(second).toMatchObject({ location: null, engines: ['mtr'], agentVersion: '0.2.0' });
      expect(second.firstSeen).toBe('2026-01-01T00:00:01.000Z');
      expect(second.lastSeen).toBe('2026-01-02T00:00:00.000Z');
      await env.store.markDisconnected(first.id, '2026-01-02T00:05:00.000Z');
      expect(await env.store.getAgent(first.id)).toMatchObject({
        connected: false,
        lastSeen: '2026-01-02T00:05:00.000Z',
      });
    });

    it('markAllDisconnected clears every connected flag (a fresh coordinator has no connections)', async () => {
      const id = await agentId();
      expect((await env.store.getAgent(id))?.connected).toBe(true);
      await env.store.markAllDisconnected();
      expect((await env.store.listAgents()).map((a) => a.connected)).toEqual([false]);
    });

    it('touchAgents never moves last_seen backwards', async () => {
      const id = await agentId();
      await env.store.touchAgents([{ agentId: id, lastSeen: '2026-01-05T00:00:00.000Z' }]);
      await env.store.touchAgents([{ agentId: id, lastSeen: '2026-01-04T00:00:00.000Z' }]);
      expect((await env.store.getAgent(id))?.lastSeen).toBe('2026-01-05T00:00:00.000Z');
    });
  });

  describe('results and traces', () => {
    it('stores a result once: a repeat of its resultId is a duplicate and writes nothing', async () => {
      const id = await agentId();
      const record = result(id, 'result-aaaa-0001', DETOUR_OUTPUT);
      expect(await env.store.writeResults([record])).toEqual(['stored']);
      expect(await env.store.writeResults([record])).toEqual(['duplicate']);
      expect(await env.store.writeResults([result(id, 'result-aaaa-0002', DOMESTIC_OUTPUT), record])).toEqual(
        ['stored', 'duplicate'],
      );
      const counts = {
        results: await env.count('SELECT COUNT(*) FROM results'),
        traces: await env.count('SELECT COUNT(*) FROM traces'),
      };
      expect(counts).toEqual({ results: 2, traces: 2 });
    });

    it('the same resultId twice in one batch is stored once', async () => {
      const id = await agentId();
      const record = result(id, 'result-bbbb-0001', DETOUR_OUTPUT);
      expect(await env.store.writeResults([record, record])).toEqual(['stored', 'duplicate']);
    });

    it('keeps every responder per TTL, the verdict, and the foreign hops; reads them back', async () => {
      const id = await agentId();
      const record = result(id, 'result-cccc-0001', DETOUR_OUTPUT);
      await env.store.writeResults([record]);
      const [summary] = await env.store.listTraces({ limit: 10 });
      expect(summary).toMatchObject({
        origin: 'agent',
        agentId: id,
        resultId: 'result-cccc-0001',
        destinationIp: '192.0.2.50',
        tool: 'traceroute',
        verdict: record.traces[0]?.verdict.verdict,
        foreignCountries: ['CN'],
        foreignAsns: [4134],
        startedAt: record.startedAt,
      });
      const trace = await env.store.getTrace(summary?.id ?? -1);
      expect(trace?.verdictDetail).toEqual(record.traces[0]?.verdict);
      const replies = record.traces[0]?.trace.hops ?? [];
      // One row per distinct address per TTL, one row for a silent TTL.
      const expectedRows = replies.reduce((n, h) => {
        const distinct = new Set(h.replies.flatMap((r) => (r.address ? [r.address] : []))).size;
        return n + Math.max(1, distinct);
      }, 0);
      expect(trace?.hops).toHaveLength(expectedRows);
      // The Shanghai router (198.51.100.0/25, AS4134 in the test world) with its lowest RTT.
      const shanghaiRtts = replies[1]?.replies.flatMap((r) => (r.rttMs === null ? [] : [r.rttMs])) ?? [];
      expect(trace?.hops.find((h) => h.ip === '198.51.100.7')).toMatchObject({
        ttl: 2,
        country: 'CN',
        asn: 4134,
        rttMs: Math.min(...shanghaiRtts),
      });
      expect(trace?.hops.find((h) => h.ttl === 3)).toMatchObject({
        ip: null,
        status: 'no-reply',
        replies: 0,
      });
      const foreign = await env.query('SELECT ttl, ip, country, asn FROM foreign_hops');
      expect(foreign).toEqual([{ ttl: 2, ip: '198.51.100.7', country: 'CN', asn: 4134 }]);
    });

    it('a result that did not parse is stored raw with its error and no trace', async () => {
      const id = await agentId();
      const record = {
        ...result(id, 'result-dddd-0001', DETOUR_OUTPUT),
        output: 'garbage',
        error: 'cannot parse',
        traces: [],
      };
      expect(await env.store.writeResults([record])).toEqual(['stored']);
      expect(await env.store.counts()).toMatchObject({ results: 1, resultsWithErrors: 1, traces: 0 });
      const rows = await env.query('SELECT output, error FROM results');
      expect(rows).toEqual([{ output: 'garbage', error: 'cannot parse' }]);
    });

    it('a failing record rolls back its whole batch (one transaction)', async () => {
      const id = await agentId();
      const good = result(id, 'result-eeee-0001', DOMESTIC_OUTPUT);
      const bad = { ...result(id, 'result-eeee-0002', DOMESTIC_OUTPUT), agentId: 'no-such-agent' };
      await expect(env.store.writeResults([good, bad])).rejects.toThrow();
      expect((await env.store.counts()).results).toBe(0);
    });

    it('lists newest first and honours the limit', async () => {
      const id = await agentId();
      for (const [i, start] of [
        '2026-03-01T00:00:00.000Z',
        '2026-03-03T00:00:00.000Z',
        '2026-03-02T00:00:00.000Z',
      ].entries()) {
        await env.store.writeResults([
          { ...result(id, `result-ffff-000${i}`, DOMESTIC_OUTPUT), startedAt: start },
        ]);
      }
      const listed = await env.store.listTraces({ limit: 2 });
      expect(listed.map((t) => t.startedAt)).toEqual([
        '2026-03-03T00:00:00.000Z',
        '2026-03-02T00:00:00.000Z',
      ]);
    });
  });
});
