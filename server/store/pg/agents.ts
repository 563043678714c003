import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { AgentStore } from '../agent-store.ts';
import {
  AGENT_COLUMNS,
  type AgentRow,
  agentRecord,
  epochMs,
  TOKEN_COLUMNS,
  type TokenRow,
  tokenRecord,
} from '../rows.ts';
import { changes, row, rows } from './query.ts';

export function pgAgents(pool: Pool): AgentStore {
  return {
    async createToken(name, hash, at, token = {}) {
      const created = await row<TokenRow>(
        pool,
        `INSERT INTO tokens (name, hash, created_at, role, owner) VALUES ($1, $2, $3, $4, $5)
         RETURNING ${TOKEN_COLUMNS}`,
        [name, hash, epochMs(at), token.role ?? 'agent', token.owner ?? null],
      );
      return tokenRecord(created as TokenRow);
    },
    async listTokens() {
      return (await rows<TokenRow>(pool, `SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY id`)).map(tokenRecord);
    },
    async findTokenByHash(hash) {
      const found = await row<TokenRow>(pool, `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = $1`, [hash]);
      return found ? tokenRecord(found) : null;
    },
    async revokeToken(id, at) {
      const revoked = await changes(
        pool,
        'UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
        [epochMs(at), id],
      );
      if (revoked === 1) return 'revoked';
      return (await row(pool, 'SELECT 1 FROM tokens WHERE id = $1', [id])) ? 'already-revoked' : 'not-found';
    },
    async recordHello(h) {
      // One statement: two coordinators greeting the same token's agent at once cannot both insert it.
      const agent = await row<AgentRow>(
        pool,
        `INSERT INTO agents (id, token_id, name, lat, lon, engines, max_concurrent, max_per_minute, agent_version,
           protocol_version, address, connected, first_seen, last_seen)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, true, $12, $12)
         ON CONFLICT (token_id) DO UPDATE SET name = excluded.name, lat = excluded.lat, lon = excluded.lon,
           engines = excluded.engines, max_concurrent = excluded.max_concurrent,
           max_per_minute = excluded.max_per_minute, agent_version = excluded.agent_version,
           protocol_version = excluded.protocol_version, address = excluded.address, connected = true,
           last_seen = excluded.last_seen
         RETURNING ${AGENT_COLUMNS}`,
        [
          `ag_${randomBytes(9).toString('base64url')}`,
          h.tokenId,
          h.name,
          h.location?.lat ?? null,
          h.location?.lon ?? null,
          JSON.stringify(h.engines),
          h.limits.maxConcurrent,
          h.limits.maxPerMinute,
          h.agentVersion,
          h.protocolVersion,
          h.address,
          epochMs(h.at),
        ],
      );
      return agentRecord(agent as AgentRow);
    },
    async markDisconnected(agentId, lastSeen) {
      await pool.query(
        'UPDATE agents SET connected = false, last_seen = GREATEST(last_seen, $1) WHERE id = $2',
        [epochMs(lastSeen), agentId],
      );
    },
    async touchAgents(seen) {
      // One row per agent (the latest), so one UPDATE moves each once.
      const latest = new Map<string, number>();
      for (const s of seen) {
        const at = epochMs(s.lastSeen);
        latest.set(s.agentId, Math.max(at, latest.get(s.agentId) ?? at));
      }
      if (latest.size === 0) return;
      await pool.query(
        `UPDATE agents a SET last_seen = GREATEST(a.last_seen, u.seen)
         FROM unnest($1::text[], $2::bigint[]) AS u(id, seen) WHERE a.id = u.id`,
        [[...latest.keys()], [...latest.values()]],
      );
    },
    async markAllDisconnected() {
      await pool.query('UPDATE agents SET connected = false WHERE connected');
    },
    async getAgent(id) {
      const agent = await row<AgentRow>(pool, `SELECT ${AGENT_COLUMNS} FROM agents WHERE id = $1`, [id]);
      return agent ? agentRecord(agent) : null;
    },
    async listAgents() {
      // "C": byte order, as SQLite compares text, not the database's locale.
      return (
        await rows<AgentRow>(
          pool,
          `SELECT ${AGENT_COLUMNS} FROM agents ORDER BY name COLLATE "C", id COLLATE "C"`,
        )
      ).map(agentRecord);
    },
  };
}
