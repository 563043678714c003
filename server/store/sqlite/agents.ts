import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
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

export function sqliteAgents(db: Database.Database): AgentStore {
  const s = {
    insertToken: db.prepare(
      'INSERT INTO tokens (name, hash, created_at, role, owner) VALUES (?, ?, ?, ?, ?)',
    ),
    tokenById: db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`),
    tokenByHash: db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = ?`),
    listTokens: db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY id`),
    revoke: db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    agentByToken: db.prepare(`SELECT ${AGENT_COLUMNS} FROM agents WHERE token_id = ?`),
    agentById: db.prepare(`SELECT ${AGENT_COLUMNS} FROM agents WHERE id = ?`),
    listAgents: db.prepare(`SELECT ${AGENT_COLUMNS} FROM agents ORDER BY name, id`),
    insertAgent: db.prepare(
      `INSERT INTO agents (id, token_id, name, lat, lon, engines, max_concurrent, max_per_minute, agent_version,
         protocol_version, address, connected, first_seen, last_seen)
       VALUES (@id, @tokenId, @name, @lat, @lon, @engines, @maxConcurrent, @maxPerMinute, @agentVersion,
         @protocolVersion, @address, 1, @at, @at)`,
    ),
    updateAgent: db.prepare(
      `UPDATE agents SET name = @name, lat = @lat, lon = @lon, engines = @engines, max_concurrent = @maxConcurrent,
         max_per_minute = @maxPerMinute, agent_version = @agentVersion, protocol_version = @protocolVersion,
         address = @address, connected = 1, last_seen = @at
       WHERE token_id = @tokenId`,
    ),
    disconnect: db.prepare('UPDATE agents SET connected = 0, last_seen = MAX(last_seen, ?) WHERE id = ?'),
    touch: db.prepare('UPDATE agents SET last_seen = MAX(last_seen, ?) WHERE id = ?'),
    disconnectAll: db.prepare('UPDATE agents SET connected = 0 WHERE connected = 1'),
  };

  const hello = db.transaction((params: Record<string, unknown> & { tokenId: number }): AgentRow => {
    if (s.updateAgent.run(params).changes === 0) {
      s.insertAgent.run({ ...params, id: `ag_${randomBytes(9).toString('base64url')}` });
    }
    return s.agentByToken.get(params.tokenId) as AgentRow;
  });
  const touch = db.transaction((seen: { agentId: string; lastSeen: string }[]) => {
    for (const t of seen) s.touch.run(epochMs(t.lastSeen), t.agentId);
  });

  return {
    async createToken(name, hash, at, token = {}) {
      const { lastInsertRowid } = s.insertToken.run(
        name,
        hash,
        epochMs(at),
        token.role ?? 'agent',
        token.owner ?? null,
      );
      return tokenRecord(s.tokenById.get(lastInsertRowid) as TokenRow);
    },
    async listTokens() {
      return (s.listTokens.all() as TokenRow[]).map(tokenRecord);
    },
    async findTokenByHash(hash) {
      const row = s.tokenByHash.get(hash) as TokenRow | undefined;
      return row ? tokenRecord(row) : null;
    },
    async revokeToken(id, at) {
      if (s.revoke.run(epochMs(at), id).changes === 1) return 'revoked';
      return s.tokenById.get(id) ? 'already-revoked' : 'not-found';
    },
    async recordHello(h) {
      return agentRecord(
        hello({
          tokenId: h.tokenId,
          name: h.name,
          lat: h.location?.lat ?? null,
          lon: h.location?.lon ?? null,
          engines: JSON.stringify(h.engines),
          maxConcurrent: h.limits.maxConcurrent,
          maxPerMinute: h.limits.maxPerMinute,
          agentVersion: h.agentVersion,
          protocolVersion: h.protocolVersion,
          address: h.address,
          at: epochMs(h.at),
        }),
      );
    },
    async markDisconnected(agentId, lastSeen) {
      s.disconnect.run(epochMs(lastSeen), agentId);
    },
    async touchAgents(seen) {
      touch(seen);
    },
    async markAllDisconnected() {
      s.disconnectAll.run();
    },
    async getAgent(id) {
      const row = s.agentById.get(id) as AgentRow | undefined;
      return row ? agentRecord(row) : null;
    },
    async listAgents() {
      return (s.listAgents.all() as AgentRow[]).map(agentRecord);
    },
  };
}
