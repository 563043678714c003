/**
 * Issue 12, the store side of several coordinators, on both engines alike: agent leases (taken, refused while
 * live, taken over once expired, renewed, released, lost), the connected flag of agents whose coordinator died,
 * two SQLite stores on one file competing for one lease, webhook delivery claims (a dead coordinator's
 * pending delivery is claimed by exactly one other, once its claim ran out or its coordinator is known dead),
 * and on PostgreSQL a measurement routed over LISTEN/NOTIFY to the instance holding the agent.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createPeerRouter, type PeerRouter } from '../../server/cluster/peer-router.ts';
import { DATABASE_FILE, openSqliteStore } from '../../server/store/sqlite/open.ts';
import { describeEngines, storeEngines, type TestStore } from '../history/test-store.ts';

const engines = await storeEngines('leases and delivery claims of several coordinators');
const T0 = Date.parse('2026-01-01T00:00:00Z');
const LEASE = 10_000;

describeEngines(engines, (engine) => {
  let env: TestStore;
  beforeEach(async () => {
    env = await engine.open();
  });
  afterEach(async () => {
    await env?.cleanup();
  });

  async function agent(name: string): Promise<{ tokenId: number; agentId: string }> {
    const token = await env.store.createToken(name, `hash-${name}`, new Date(T0).toISOString());
    const record = await env.store.recordHello({
      tokenId: token.id,
      name,
      location: { lat: 47.6, lon: -122.3 },
      engines: ['mtr'],
      limits: { maxConcurrent: 2, maxPerMinute: 30 },
      agentVersion: '1.0.0',
      protocolVersion: 1,
      address: '198.51.100.1',
      at: new Date(T0).toISOString(),
    });
    return { tokenId: token.id, agentId: record.id };
  }

  /** Instances that joined: alive to the others until they leave (PostgreSQL: a session; SQLite: this process). */
  async function join(...ids: string[]): Promise<() => Promise<void>> {
    const members = await Promise.all(
      ids.map((id) =>
        env.store.joinCluster(
          id,
          () => {},
          () => {},
        ),
      ),
    );
    return async () => {
      for (const m of members) await m.leave();
    };
  }

  it('gives an agent to one instance at a time, and to another once its lease expired', async () => {
    const { store } = env;
    const { tokenId, agentId } = await agent('sea-1');
    const leave = await join('a', 'b', 'c');
    expect(await store.acquireLease(tokenId, 'a', T0, LEASE)).toEqual({ taken: true, expiresAt: T0 + LEASE });
    // Live: b is told who holds it, until when.
    expect(await store.acquireLease(tokenId, 'b', T0 + 1000, LEASE)).toEqual({
      taken: false,
      holder: { instanceId: 'a', expiresAt: T0 + LEASE },
    });
    expect(await store.leaseHolderOfAgent(agentId, T0 + 1000)).toEqual({
      instanceId: 'a',
      expiresAt: T0 + LEASE,
    });
    // Renewed by a, still refused to b past the first expiry.
    expect(await store.renewLeases('a', T0 + 5000, LEASE)).toEqual([tokenId]);
    expect((await store.acquireLease(tokenId, 'b', T0 + LEASE + 1, LEASE)).taken).toBe(false);
    // a stops renewing: once expired, b takes it over; a's renewal no longer finds it.
    const later = T0 + 5000 + LEASE;
    expect(await store.leaseHolderOfAgent(agentId, later)).toBeNull();
    expect(await store.acquireLease(tokenId, 'b', later, LEASE)).toEqual({
      taken: true,
      expiresAt: later + LEASE,
    });
    expect(await store.renewLeases('a', later + 1, LEASE)).toEqual([]);
    // a releasing what it lost leaves b's lease alone; b's release frees it.
    await store.releaseLease(tokenId, 'a');
    expect((await store.leaseHolderOfAgent(agentId, later + 1))?.instanceId).toBe('b');
    await store.releaseLease(tokenId, 'b');
    expect(await store.leaseHolderOfAgent(agentId, later + 1)).toBeNull();
    expect((await store.acquireLease(tokenId, 'c', later + 2, LEASE)).taken).toBe(true);
    await leave();
  });

  it('takes a live lease over at once when its holder is known dead', async () => {
    const { store } = env;
    const { tokenId, agentId } = await agent('sea-1');
    const leaveB = await join('b');
    const leaveGone = await join('gone');
    expect((await store.acquireLease(tokenId, 'gone', T0, LEASE)).taken).toBe(true);
    expect(await store.acquireLease(tokenId, 'b', T0 + 1, LEASE)).toMatchObject({ taken: false });
    // It left without releasing (as a killed process's session ends): its lease is nobody's before expiry.
    await leaveGone();
    if (engine.name === 'PostgreSQL') {
      expect(await store.leaseHolderOfAgent(agentId, T0 + 2)).toBeNull();
    }
    expect(await store.acquireLease(tokenId, 'b', T0 + 2, LEASE)).toEqual({
      taken: true,
      expiresAt: T0 + 2 + LEASE,
    });
    expect(await store.renewLeases('gone', T0 + 3, LEASE)).toEqual([]);
    await leaveB();
  });

  it('marks disconnected only the agents without a live lease', async () => {
    const { store } = env;
    const held = await agent('held');
    const orphan = await agent('orphan');
    const leave = await join('alive', 'dead');
    await store.acquireLease(held.tokenId, 'alive', T0, LEASE);
    await store.acquireLease(orphan.tokenId, 'dead', T0 - LEASE, LEASE);
    expect(await store.markUnleasedDisconnected(T0 + 1)).toBe(1);
    const connected = Object.fromEntries((await store.listAgents()).map((a) => [a.name, a.connected]));
    expect(connected).toEqual({ held: true, orphan: false });
    await leave();
  });

  it('has each pending delivery of a dead coordinator claimed by one other, after its claim ran out', async () => {
    const { store } = env;
    const { agentId } = await agent('sea-1');
    const leave = await join('a', 'b', 'c');
    // The incident the deliveries announce, written as the fold would have (the fold is not under test).
    const insert = `INSERT INTO incidents (key, subject, agent_id, destination_prefix, countries, asns, first_seen,
         last_seen, trace_count, confirmed_count, state, first_trace_id, last_trace_id)
       VALUES ('k', ?, ?, '192.0.2.0/24', '["CN"]', '[4134]', ?, ?, 1, 1, 'open', 1, 1)`;
    const values = [`agent:${agentId}`, agentId, T0, T0];
    if (env.engine === 'SQLite') {
      const db = new Database(path.join(env.dir, 'data', DATABASE_FILE));
      try {
        db.prepare(insert).run(...values);
      } finally {
        db.close();
      }
    } else await env.query(insert, values);
    const [incident] = await env.query<{ id: number }>('SELECT id FROM incidents');
    const id = await store.createDelivery('incident.opened', incident?.id as number, 'hook-1', T0);
    await store.claimDelivery(id, 'a', T0 + LEASE);
    const other = await store.createDelivery('incident.opened', incident?.id as number, 'hook-2', T0);
    await store.claimDelivery(other, 'a', T0 + LEASE);
    const rescue = (by: string, now: number) =>
      store.claimAbandonedDeliveries({
        by,
        until: now + LEASE,
        now,
        unclaimedBefore: now - LEASE,
        labels: ['hook-1'],
        limit: 10,
      });
    expect(await rescue('b', T0 + LEASE - 1)).toEqual([]);
    // a renews while it works on it.
    await store.renewDeliveryClaims('a', T0 + 2 * LEASE);
    expect(await rescue('b', T0 + LEASE + 1)).toEqual([]);
    const [taken, ...rest] = await rescue('b', T0 + 2 * LEASE + 1);
    expect(rest).toEqual([]);
    expect(taken).toMatchObject({ id, event: 'incident.opened', label: 'hook-1', createdAt: T0 });
    expect(taken?.incident).toMatchObject({
      id: incident?.id,
      countries: ['CN'],
      asns: [4134],
      state: 'open',
    });
    // b holds it now: c finds nothing, and hook-2 (a label c has no webhook for) is never offered.
    expect(await rescue('c', T0 + 2 * LEASE + 2)).toEqual([]);
    // Delivered: never offered again, whatever its claim says.
    await store.updateDelivery(id, {
      status: 'delivered',
      attempts: 1,
      httpStatus: 200,
      lastError: null,
      at: T0,
    });
    expect(await rescue('c', T0 + 10 * LEASE)).toEqual([]);
    // A coordinator known dead (it left: as a killed one's session ends) loses its claim before it runs out.
    const third = await store.createDelivery('incident.closed', incident?.id as number, 'hook-1', T0);
    await store.claimDelivery(third, 'gone', T0 + 100 * LEASE);
    await (await join('gone'))();
    expect((await rescue('b', T0 + 10 * LEASE)).map((d) => d.id)).toEqual([third]);
    await leave();
  });
});

it('two SQLite stores on one file give one lease to one of them', async () => {
  const env = await engines[0]?.open();
  if (!env) throw new Error('no SQLite engine');
  const second = openSqliteStore({ dataDir: path.join(env.dir, 'data'), create: false });
  try {
    const token = await env.store.createToken('shared', 'hash-shared', new Date(T0).toISOString());
    await env.store.joinCluster(
      'one',
      () => {},
      () => {},
    );
    await second.joinCluster(
      'two',
      () => {},
      () => {},
    );
    const outcomes = await Promise.all([
      env.store.acquireLease(token.id, 'one', T0, LEASE),
      second.acquireLease(token.id, 'two', T0, LEASE),
    ]);
    expect(outcomes.filter((o) => o.taken)).toHaveLength(1);
    expect(await second.renewLeases(outcomes[0]?.taken ? 'two' : 'one', T0 + 1, LEASE)).toEqual([]);
  } finally {
    await second.close();
    await env.cleanup();
  }
});

describeEngines(
  engines.filter((e) => e.name === 'PostgreSQL'),
  (engine) => {
    it('routes a measurement to the instance holding the agent over LISTEN/NOTIFY, and says when it is silent', async () => {
      const env = await engine.open();
      const { store } = env;
      const closers: (() => Promise<void>)[] = [];
      try {
        const token = await store.createToken('far', 'hash-far', new Date(T0).toISOString());
        const far = await store.recordHello({
          tokenId: token.id,
          name: 'far',
          location: { lat: 47.6, lon: -122.3 },
          engines: ['mtr'],
          limits: { maxConcurrent: 2, maxPerMinute: 30 },
          agentVersion: '1.0.0',
          protocolVersion: 1,
          address: '198.51.100.1',
          at: new Date(T0).toISOString(),
        });
        const asked: string[] = [];
        const routerOf = async (instanceId: string, holds: boolean) => {
          let router: PeerRouter | null = null;
          const membership = await store.joinCluster(
            instanceId,
            (p) => router?.handle(p),
            () => {},
          );
          router = createPeerRouter({
            store,
            channel: membership.channel,
            instanceId,
            hub: { isConnected: (id) => holds && id === far.id },
            scheduler: {
              request: (agentId, target) => {
                asked.push(`${instanceId} ${agentId} ${target}`);
                return { taskId: 'tk_routed', status: 'sent' };
              },
            },
            leaseMs: LEASE,
            timeoutMs: 500,
          });
          closers.push(async () => {
            await router?.close();
            await membership.leave();
          });
          return router;
        };
        const asker = await routerOf('asker', false);
        await routerOf('holder', true);
        const now = Date.now();
        expect((await store.acquireLease(token.id, 'holder', now, LEASE)).taken).toBe(true);
        expect(await asker.request(far.id, '192.0.2.50')).toEqual({ taskId: 'tk_routed', status: 'sent' });
        expect(asked).toEqual([`holder ${far.id} 192.0.2.50`]);

        // A holder alive to the database (its session open) that does not answer: a coded 503 after the wait.
        const silent = await store.joinCluster(
          'silent',
          () => {},
          () => {},
        );
        closers.push(() => silent.leave());
        await store.releaseLease(token.id, 'holder');
        expect((await store.acquireLease(token.id, 'silent', now, LEASE)).taken).toBe(true);
        await expect(asker.request(far.id, '192.0.2.50')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
        // Gone from the database: not connected anywhere, at once.
        await silent.leave();
        await expect(asker.request(far.id, '192.0.2.50')).rejects.toMatchObject({
          code: 'AGENT_NOT_CONNECTED',
        });
        expect(asked).toHaveLength(1);
      } finally {
        for (const c of closers.reverse()) await c();
        await env.cleanup();
      }
    });
  },
);

it('on SQLite, takes over at once the lease of a coordinator whose process is gone', async () => {
  const env = await engines[0]?.open();
  if (!env) throw new Error('no SQLite engine');
  try {
    const token = await env.store.createToken('local', 'hash-local', new Date(T0).toISOString());
    // A process that was a coordinator of this file: it joined, took the lease, and ended without leaving.
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    const pid = child.pid as number;
    await new Promise((resolve) => child.once('exit', resolve));
    const db = new Database(path.join(env.dir, 'data', DATABASE_FILE));
    try {
      db.prepare(
        'INSERT INTO coordinator_instances (instance_id, host, pid, joined_at) VALUES (?, ?, ?, ?)',
      ).run('killed', hostname(), pid, T0);
    } finally {
      db.close();
    }
    expect((await env.store.acquireLease(token.id, 'killed', T0, LEASE)).taken).toBe(true);
    const me = await env.store.joinCluster(
      'me',
      () => {},
      () => {},
    );
    expect(await env.store.acquireLease(token.id, 'me', T0 + 1, LEASE)).toEqual({
      taken: true,
      expiresAt: T0 + 1 + LEASE,
    });
    await me.leave();
  } finally {
    await env.cleanup();
  }
});
