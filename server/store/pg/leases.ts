import type pg from 'pg';
import { describeError } from '../../../protocol/errors.ts';
import type { LeaseStore, PeerChannel } from '../lease-store.ts';
import { changes, row, rows } from './query.ts';

/** The one LISTEN/NOTIFY channel of the coordinators; each message names the instance it is for. */
const PEER_CHANNEL = 'detourwatch_peers';

/** A listening connection that broke is opened again after this long. */
const RELISTEN_MS = 1000;

/** The application_name of an instance's listening connection: while it is open, the instance lives. */
const MEMBER_PREFIX = 'detourwatch ';

/** True where the instance named by `column` has its listening connection open (pg_stat_activity). */
export function instanceAlive(column: string): string {
  return `EXISTS (SELECT 1 FROM pg_stat_activity s
    WHERE s.datname = current_database() AND s.application_name = '${MEMBER_PREFIX}' || ${column})`;
}

const HOLDER_ALIVE = instanceAlive('l.instance_id');

type HolderRow = { instance_id: string; expires_at: number };

/**
 * Leases on PostgreSQL: each is one statement (an upsert whose WHERE lets it replace only this instance's or
 * an expired lease), so two coordinators taking one agent's lease at once cannot both get it. The peer
 * channel LISTENs on a connection of its own (outside the pool) and NOTIFYs through the pool.
 */
export function pgLeases(pool: pg.Pool, dedicatedClient: () => Promise<pg.Client>): LeaseStore {
  return {
    async acquireLease(tokenId, instanceId, now, leaseMs) {
      const taken = await row<{ expires_at: number }>(
        pool,
        `INSERT INTO agent_leases AS l (token_id, instance_id, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (token_id) DO UPDATE SET instance_id = excluded.instance_id, expires_at = excluded.expires_at
           WHERE l.instance_id = excluded.instance_id OR l.expires_at <= $4 OR NOT ${HOLDER_ALIVE}
         RETURNING expires_at`,
        [tokenId, instanceId, now + leaseMs, now],
      );
      if (taken) return { taken: true, expiresAt: taken.expires_at };
      const held = await row<HolderRow>(
        pool,
        'SELECT instance_id, expires_at FROM agent_leases WHERE token_id = $1',
        [tokenId],
      );
      // Released between the two statements: nobody holds it, so the caller asks again.
      const holder = held ?? { instance_id: '', expires_at: now };
      return { taken: false, holder: { instanceId: holder.instance_id, expiresAt: holder.expires_at } };
    },
    async renewLeases(instanceId, now, leaseMs) {
      return (
        await rows<{ token_id: number }>(
          pool,
          'UPDATE agent_leases SET expires_at = $1 WHERE instance_id = $2 RETURNING token_id',
          [now + leaseMs, instanceId],
        )
      ).map((r) => r.token_id);
    },
    async releaseLease(tokenId, instanceId) {
      await pool.query('DELETE FROM agent_leases WHERE token_id = $1 AND instance_id = $2', [
        tokenId,
        instanceId,
      ]);
    },
    async leaseHolderOfAgent(agentId, now) {
      const held = await row<HolderRow>(
        pool,
        `SELECT l.instance_id, l.expires_at FROM agent_leases l JOIN agents a ON a.token_id = l.token_id
         WHERE a.id = $1 AND l.expires_at > $2 AND ${HOLDER_ALIVE}`,
        [agentId, now],
      );
      return held ? { instanceId: held.instance_id, expiresAt: held.expires_at } : null;
    },
    async markUnleasedDisconnected(now) {
      return changes(
        pool,
        `UPDATE agents SET connected = false WHERE connected AND NOT EXISTS
           (SELECT 1 FROM agent_leases l WHERE l.token_id = agents.token_id AND l.expires_at > $1 AND ${HOLDER_ALIVE})`,
        [now],
      );
    },
    async joinCluster(instanceId, onMessage, log) {
      let client: pg.Client | null = null;
      let closed = false;
      let retry: NodeJS.Timeout | null = null;
      const listen = async (): Promise<void> => {
        const c = await dedicatedClient();
        c.on('notification', (n) => {
          if (n.channel === PEER_CHANNEL && n.payload !== undefined) onMessage(n.payload);
        });
        c.on('error', (err) => {
          log(`cluster: the peer channel's connection failed: ${describeError(err)}; listening again`);
          c.end().catch(() => {});
          if (client === c) client = null;
          if (!closed) retry ??= setTimeout(again, RELISTEN_MS);
        });
        // Named before it listens: the others read this name as "the instance is alive".
        await c.query("SELECT set_config('application_name', $1, false)", [`${MEMBER_PREFIX}${instanceId}`]);
        await c.query(`LISTEN ${PEER_CHANNEL}`);
        client = c;
      };
      const again = (): void => {
        retry = null;
        if (closed) return;
        listen().catch((err: unknown) => {
          log(`cluster: cannot listen on the peer channel: ${describeError(err)}; trying again`);
          retry ??= setTimeout(again, RELISTEN_MS);
        });
      };
      await listen();
      const channel: PeerChannel = {
        async send(message) {
          await pool.query('SELECT pg_notify($1, $2)', [PEER_CHANNEL, message]);
        },
        async close() {
          closed = true;
          if (retry) clearTimeout(retry);
          await client?.end().catch(() => {});
          client = null;
        },
      };
      return { channel, leave: () => channel.close() };
    },
  };
}
