import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import type { LeaseStore } from '../lease-store.ts';

/** Whether process `pid` exists on this machine (EPERM: it exists, it is someone else's). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a coordinator instance of this file is gone: its process on this machine ended, or it never joined
 * (it left, or an older release ran it). Its leases and delivery claims are nobody's.
 */
export function sqliteInstanceDead(db: Database.Database): (instanceId: string) => boolean {
  const member = db.prepare('SELECT host, pid FROM coordinator_instances WHERE instance_id = ?');
  const here = hostname();
  return (instanceId) => {
    const m = member.get(instanceId) as { host: string; pid: number } | undefined;
    return m === undefined || (m.host === here && !processAlive(m.pid));
  };
}

/**
 * Leases on SQLite: each statement is atomic on the file, so several processes sharing one store file get
 * the same semantics as coordinators sharing a PostgreSQL database. They share a machine (SQLite's locks need
 * a local disk), so a holder is known dead when its process is gone. There is no channel between them.
 */
export function sqliteLeases(db: Database.Database): LeaseStore {
  const s = {
    acquire: db.prepare(
      `INSERT INTO agent_leases (token_id, instance_id, expires_at) VALUES (@tokenId, @instanceId, @until)
       ON CONFLICT (token_id) DO UPDATE SET instance_id = excluded.instance_id, expires_at = excluded.expires_at
         WHERE agent_leases.instance_id = excluded.instance_id OR agent_leases.expires_at <= @now
       RETURNING expires_at`,
    ),
    holder: db.prepare('SELECT instance_id, expires_at FROM agent_leases WHERE token_id = ?'),
    renew: db.prepare('UPDATE agent_leases SET expires_at = ? WHERE instance_id = ? RETURNING token_id'),
    release: db.prepare('DELETE FROM agent_leases WHERE token_id = ? AND instance_id = ?'),
    holderOfAgent: db.prepare(
      `SELECT l.instance_id, l.expires_at FROM agent_leases l JOIN agents a ON a.token_id = l.token_id
       WHERE a.id = ? AND l.expires_at > ?`,
    ),
    join: db.prepare(
      `INSERT INTO coordinator_instances (instance_id, host, pid, joined_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (instance_id) DO UPDATE SET host = excluded.host, pid = excluded.pid, joined_at = excluded.joined_at`,
    ),
    leave: db.prepare('DELETE FROM coordinator_instances WHERE instance_id = ?'),
    members: db.prepare('SELECT instance_id, host, pid FROM coordinator_instances'),
    takeOver: db.prepare(
      `UPDATE agent_leases SET instance_id = ?, expires_at = ? WHERE token_id = ? AND instance_id = ?
       RETURNING expires_at`,
    ),
    unleased: db.prepare(
      `UPDATE agents SET connected = 0 WHERE connected = 1 AND NOT EXISTS
         (SELECT 1 FROM agent_leases l WHERE l.token_id = agents.token_id AND l.expires_at > ?)`,
    ),
  };
  type HolderRow = { instance_id: string; expires_at: number };
  type MemberRow = { host: string; pid: number };
  const here = hostname();
  const dead = sqliteInstanceDead(db);
  return {
    async acquireLease(tokenId, instanceId, now, leaseMs) {
      const taken = s.acquire.get({ tokenId, instanceId, until: now + leaseMs, now }) as
        | { expires_at: number }
        | undefined;
      if (taken) return { taken: true, expiresAt: taken.expires_at };
      const held = s.holder.get(tokenId) as HolderRow | undefined;
      if (held && dead(held.instance_id)) {
        // Compare and set on the holder's id: of two newcomers taking a dead holder's lease, one gets it.
        const over = s.takeOver.get(instanceId, now + leaseMs, tokenId, held.instance_id) as
          | { expires_at: number }
          | undefined;
        if (over) return { taken: true, expiresAt: over.expires_at };
      }
      // Released between the two statements: nobody holds it, so the caller asks again.
      const holder = held ?? { instance_id: '', expires_at: now };
      return { taken: false, holder: { instanceId: holder.instance_id, expiresAt: holder.expires_at } };
    },
    async renewLeases(instanceId, now, leaseMs) {
      return (s.renew.all(now + leaseMs, instanceId) as { token_id: number }[]).map((r) => r.token_id);
    },
    async releaseLease(tokenId, instanceId) {
      s.release.run(tokenId, instanceId);
    },
    async leaseHolderOfAgent(agentId, now) {
      const held = s.holderOfAgent.get(agentId, now) as HolderRow | undefined;
      return held ? { instanceId: held.instance_id, expiresAt: held.expires_at } : null;
    },
    async markUnleasedDisconnected(now) {
      return s.unleased.run(now).changes;
    },
    async joinCluster(instanceId) {
      // Rows of this machine's processes that are gone go first: the table holds the living.
      for (const m of s.members.all() as (MemberRow & { instance_id: string })[]) {
        if (m.host === here && !processAlive(m.pid)) s.leave.run(m.instance_id);
      }
      s.join.run(instanceId, here, process.pid, Date.now());
      return {
        channel: null,
        async leave() {
          if (db.open) s.leave.run(instanceId);
        },
      };
    },
  };
}
