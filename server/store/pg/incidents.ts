import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import { DetourwatchError } from '../../../protocol/errors.ts';
import type { Baseline, Incident, IncidentEvent, TraceObservation } from '../../incidents/types.ts';
import { incidentEvents } from '../event-rows.ts';
import { eventsWithRowIds, rowId } from '../fold-writes.ts';
import type {
  FoldContext,
  FoldNeeds,
  FoldOutcome,
  FoldState,
  IncidentBinding,
  IncidentStore,
} from '../incident-store.ts';
import {
  BASELINE_COLUMNS,
  type BaselineRow,
  baselineFromRow,
  INCIDENT_COLUMNS,
  type IncidentRow,
  incidentFromRow,
  lowestSamples,
  OBSERVATION_SELECT,
  type ObservationRow,
  observationFromRow,
  routeChangeValues,
  VANTAGE_COLUMNS,
  type VantageRow,
  vantageFacts,
} from '../rows.ts';
import { insertEvents } from './events.ts';
import { row, rows } from './query.ts';
import { INCIDENT_WATERMARK, type PgState } from './state.ts';
import { inTransaction } from './transaction.ts';

/** Catch-ups on several coordinators take turns (a transaction-level advisory lock). */
const CATCH_UP_LOCK = 0x64770003;

/** Column lists qualified with an alias (a join with `unnest` has columns of its own). */
const qualified = (alias: string, columns: string) =>
  columns
    .split(',')
    .map((c) => `${alias}.${c.trim()}`)
    .join(', ');
const I_COLUMNS = qualified('i', INCIDENT_COLUMNS);
const B_COLUMNS = qualified('b', BASELINE_COLUMNS);

/**
 * Load -> fold -> apply (incident-store.ts) on one client inside a write transaction, which an error from any
 * step rolls back. Resolves with the events, the incidents' row ids in them.
 */
export type PgFoldInTransaction = (
  client: ClientBase,
  context: FoldContext,
  observations: readonly TraceObservation[],
) => Promise<IncidentEvent[]>;

/** A 64-bit advisory lock id for a name (the first 8 bytes of its SHA-256), as the decimal text SQL reads. */
function lockId(name: string): bigint {
  return createHash('sha256').update(name).digest().readBigInt64BE(0);
}

/**
 * The advisory locks a fold takes before it loads anything: one per incident key (two writers cannot both
 * create the incident of a key: the second waits, then loads what the first committed), one per pair a
 * domestic reading may clear, one per baseline. Taken in ascending id order, so two folds that need some of
 * the same locks cannot deadlock on them. Released by the commit.
 */
function foldLocks(needs: FoldNeeds): string[] {
  const names = [
    ...needs.keys.map((k) => `key\n${k.key}`),
    ...needs.pairs.map((p) => `pair\n${p.subject}\n${p.prefix}`),
    ...needs.baselines.map((b) => `baseline\n${b.subject}\n${b.target}`),
  ];
  return [...new Set(names.map(lockId))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
}

async function load(client: ClientBase, needs: FoldNeeds): Promise<FoldState> {
  const locks = foldLocks(needs);
  if (locks.length > 0) {
    await client.query('SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k', [locks]);
  }
  // FOR UPDATE: a sweep or a fold elsewhere that wants these incidents waits for this commit. In the order
  // SQLite's indexes give them (per key or pair as asked, then by last_seen), so the fold sees the same list.
  const byKey =
    needs.keys.length === 0
      ? []
      : await rows<IncidentRow>(
          client,
          `SELECT ${I_COLUMNS} FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS k(wanted, lo, hi, n)
           JOIN incidents i ON i.key = k.wanted AND i.last_seen >= k.lo AND i.first_seen <= k.hi
           ORDER BY k.n, i.last_seen, i.id FOR UPDATE OF i`,
          [needs.keys.map((k) => k.key), needs.keys.map((k) => k.from), needs.keys.map((k) => k.to)],
        );
  const byPair =
    needs.pairs.length === 0
      ? []
      : await rows<IncidentRow>(
          client,
          `SELECT ${I_COLUMNS}
           FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS p(s, prefix, lo, hi, n)
           JOIN incidents i ON i.subject = p.s AND i.destination_prefix = p.prefix AND i.last_seen >= p.lo
             AND i.last_seen < p.hi
           ORDER BY p.n, i.last_seen, i.id FOR UPDATE OF i`,
          [
            needs.pairs.map((p) => p.subject),
            needs.pairs.map((p) => p.prefix),
            needs.pairs.map((p) => p.from),
            needs.pairs.map((p) => p.to),
          ],
        );
  const incidents = new Map<number, IncidentRow>();
  for (const r of [...byKey, ...byPair]) incidents.set(r.id, r);
  const baselines =
    needs.baselines.length === 0
      ? []
      : await rows<BaselineRow>(
          client,
          `SELECT ${B_COLUMNS} FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(s, t, n)
           JOIN baselines b ON b.subject = w.s AND b.target = w.t ORDER BY w.n FOR UPDATE OF b`,
          [needs.baselines.map((b) => b.subject), needs.baselines.map((b) => b.target)],
        );
  const linked =
    needs.traceIds.length === 0
      ? new Set<number>()
      : new Set(
          (
            await rows<{ trace_id: number }>(
              client,
              'SELECT trace_id FROM incident_traces WHERE trace_id = ANY($1::bigint[])',
              [needs.traceIds],
            )
          ).map((r) => r.trace_id),
        );
  const vantages =
    needs.agents.length === 0
      ? []
      : await rows<VantageRow>(
          client,
          `SELECT ${VANTAGE_COLUMNS} FROM agent_vantage WHERE agent_id = ANY($1::text[])`,
          [needs.agents],
        );
  const peers =
    needs.addresses.length === 0
      ? []
      : await rows<{ id: string; address: string }>(
          client,
          'SELECT id, address FROM agents WHERE address = ANY($1::text[])',
          [needs.addresses],
        );
  return {
    incidents: [...incidents.values()].map(incidentFromRow),
    baselines: baselines.map(baselineFromRow),
    linked: needs.traceIds.filter((id) => linked.has(id)),
    vantages: vantages.map(vantageFacts),
    peers: peers.map((p) => ({ agentId: p.id, address: p.address })),
  };
}

/** The columns of an incident as arrays, one per column, for `unnest`. */
function incidentColumns(list: readonly Incident[], ids: readonly number[]): unknown[] {
  return [
    ids,
    list.map((i) => i.key),
    list.map((i) => i.subject),
    list.map((i) => i.agentId),
    list.map((i) => i.destinationPrefix),
    list.map((i) => JSON.stringify(i.countries)),
    list.map((i) => JSON.stringify(i.asns)),
    list.map((i) => i.firstSeen),
    list.map((i) => i.lastSeen),
    list.map((i) => i.traceCount),
    list.map((i) => i.confirmedCount),
    list.map((i) => i.state),
    list.map((i) => i.closedAt),
    list.map((i) => i.lastClearAt),
    list.map((i) => i.firstTraceId),
    list.map((i) => i.lastTraceId),
    list.map((i) => JSON.stringify(i.witnesses)),
    list.map((i) => i.witnessCount),
    list.map((i) => i.corroboratedAt),
  ];
}

const INCIDENT_UNNEST = `unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
  $7::text[], $8::bigint[], $9::bigint[], $10::integer[], $11::integer[], $12::text[], $13::bigint[],
  $14::bigint[], $15::bigint[], $16::bigint[], $17::text[], $18::integer[], $19::bigint[])`;

/** The last of each key: one statement may not change a row twice. */
function lastBy<T>(list: readonly T[], key: (t: T) => string | number): T[] {
  return [...new Map(list.map((t) => [key(t), t])).values()];
}

async function apply(
  client: ClientBase,
  outcome: FoldOutcome,
  startedAtOf: ReadonlyMap<number, number>,
): Promise<IncidentEvent[]> {
  const { writes } = outcome;
  const rowIdOf = new Map<number, number>();
  if (writes.created.length > 0) {
    // Row ids taken first, in creation order, so the placeholders map to them without relying on the order
    // of RETURNING.
    const ids = (
      await rows<{ id: number }>(
        client,
        "SELECT nextval(pg_get_serial_sequence('incidents', 'id')) AS id FROM generate_series(1, $1::integer)",
        [writes.created.length],
      )
    ).map((r) => r.id);
    writes.created.forEach((incident, i) => {
      rowIdOf.set(incident.id, ids[i] as number);
    });
    await client.query(
      `INSERT INTO incidents (id, key, subject, agent_id, destination_prefix, countries, asns, first_seen,
         last_seen, trace_count, confirmed_count, state, closed_at, last_clear_at, first_trace_id, last_trace_id,
         witnesses_json, witness_count, corroborated_at)
       SELECT * FROM ${INCIDENT_UNNEST}`,
      incidentColumns(writes.created, ids),
    );
  }
  const updated = lastBy(writes.updated, (i) => i.id);
  if (updated.length > 0) {
    await client.query(
      `UPDATE incidents i SET first_seen = u.first_seen, last_seen = u.last_seen, trace_count = u.trace_count,
         confirmed_count = u.confirmed_count, state = u.state, closed_at = u.closed_at,
         last_clear_at = u.last_clear_at, first_trace_id = u.first_trace_id, last_trace_id = u.last_trace_id,
         witnesses_json = u.witnesses_json, witness_count = u.witness_count, corroborated_at = u.corroborated_at
       FROM ${INCIDENT_UNNEST} AS u(id, key, subject, agent_id, destination_prefix, countries, asns, first_seen,
         last_seen, trace_count, confirmed_count, state, closed_at, last_clear_at, first_trace_id, last_trace_id,
         witnesses_json, witness_count, corroborated_at)
       WHERE i.id = u.id`,
      incidentColumns(
        updated,
        updated.map((i) => i.id),
      ),
    );
  }
  if (writes.links.length > 0) {
    await client.query(
      `INSERT INTO incident_traces (incident_id, trace_id, started_at)
       SELECT u.incident_id, u.trace_id, COALESCE(u.started_at, (SELECT started_at FROM traces WHERE id = u.trace_id))
       FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(incident_id, trace_id, started_at)`,
      [
        writes.links.map((l) => rowId(l.incidentId, rowIdOf)),
        writes.links.map((l) => l.traceId),
        writes.links.map((l) => startedAtOf.get(l.traceId) ?? null),
      ],
    );
  }
  const baselines = lastBy(writes.baselines, (b: Baseline) => `${b.subject}\n${b.target}`);
  if (baselines.length > 0) {
    // An UPDATE of those that exist, then an INSERT of the rest (the fold holds their locks, so nobody adds
    // one in between): an upsert would take an id from the sequence even to update, and the ids would run
    // ahead of SQLite's.
    const columns = [
      baselines.map((b) => b.subject),
      baselines.map((b) => b.target),
      baselines.map((b) => b.agentId),
      baselines.map((b) => (b.normal === null ? null : JSON.stringify(b.normal))),
      baselines.map((b) => JSON.stringify(b.latest)),
      baselines.map((b) => b.changed),
      baselines.map((b) => (b.tally === undefined ? null : JSON.stringify(b.tally))),
    ];
    const unnested =
      'unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::text[])';
    const updated = new Set(
      (
        await rows<{ subject: string; target: string }>(
          client,
          `UPDATE baselines b SET agent_id = u.agent_id, normal_json = u.normal_json, latest_json = u.latest_json,
             changed = u.changed, tally_json = u.tally_json
           FROM ${unnested} AS u(subject, target, agent_id, normal_json, latest_json, changed, tally_json)
           WHERE b.subject = u.subject AND b.target = u.target
           RETURNING b.subject, b.target`,
          columns,
        )
      ).map((r) => `${r.subject}\n${r.target}`),
    );
    const fresh = baselines.map((b) => !updated.has(`${b.subject}\n${b.target}`));
    if (fresh.some(Boolean)) {
      await client.query(
        `INSERT INTO baselines (subject, target, agent_id, normal_json, latest_json, changed, tally_json)
         SELECT * FROM ${unnested}`,
        columns.map((column) => column.filter((_, i) => fresh[i])),
      );
    }
  }
  const changes = (writes.routeChanges ?? []).map(routeChangeValues);
  if (changes.length > 0) {
    // Route changes of the baselines (issue 14), in the order the fold saw them.
    await client.query(
      `INSERT INTO route_changes (kind, subject, agent_id, target, at, trace_id, before_json, after_json, left_home)
       SELECT kind, subject, agent_id, target, at, trace_id, before_json, after_json, left_home
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[],
         $8::text[], $9::boolean[]) WITH ORDINALITY
         AS u(kind, subject, agent_id, target, at, trace_id, before_json, after_json, left_home, n)
       ORDER BY n`,
      [
        changes.map((c) => c.kind),
        changes.map((c) => c.subject),
        changes.map((c) => c.agentId),
        changes.map((c) => c.target),
        changes.map((c) => c.at),
        changes.map((c) => c.traceId),
        changes.map((c) => c.before),
        changes.map((c) => c.after),
        changes.map((c) => c.leftHome),
      ],
    );
  }
  const samples = lowestSamples(writes.samples ?? []);
  if (samples.length > 0) {
    // The lowest RTT wins; any new reading marks the agent for re-evaluation (as sqlite/incidents.ts).
    await client.query(
      `INSERT INTO vantage_samples AS v (agent_id, kind, subject, rtt_ms, lat, lon, asn, city, updated_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::float8[],
         $7::bigint[], $8::text[], $9::bigint[])
       ON CONFLICT (agent_id, kind, subject) DO UPDATE SET
         lat = CASE WHEN excluded.rtt_ms < v.rtt_ms THEN excluded.lat ELSE v.lat END,
         lon = CASE WHEN excluded.rtt_ms < v.rtt_ms THEN excluded.lon ELSE v.lon END,
         asn = CASE WHEN excluded.rtt_ms < v.rtt_ms THEN excluded.asn ELSE v.asn END,
         city = CASE WHEN excluded.rtt_ms < v.rtt_ms THEN excluded.city ELSE v.city END,
         rtt_ms = LEAST(v.rtt_ms, excluded.rtt_ms),
         updated_at = GREATEST(v.updated_at, excluded.updated_at)`,
      [
        samples.map((x) => x.agentId),
        samples.map((x) => x.kind),
        samples.map((x) => x.subject),
        samples.map((x) => x.rttMs),
        samples.map((x) => x.lat),
        samples.map((x) => x.lon),
        samples.map((x) => x.asn),
        samples.map((x) => x.city),
        samples.map((x) => x.at),
      ],
    );
  }
  // Last: the one row every fold writes, so it is held for the shortest time before the commit.
  if (writes.watermark > 0) {
    await client.query(
      `INSERT INTO history_state (name, value) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET value = GREATEST(history_state.value, excluded.value)`,
      [INCIDENT_WATERMARK, writes.watermark],
    );
  }
  return eventsWithRowIds(outcome, rowIdOf);
}

async function watermark(client: ClientBase | PgState['pool']): Promise<number> {
  return (
    (
      await row<{ value: number }>(client, 'SELECT value FROM history_state WHERE name = $1', [
        INCIDENT_WATERMARK,
      ])
    )?.value ?? 0
  );
}

export function pgIncidents(state: PgState): {
  incidents: IncidentStore;
  foldInTransaction: PgFoldInTransaction;
} {
  const foldInTransaction: PgFoldInTransaction = async (client, context, observations) => {
    if (observations.length === 0) return [];
    const state = await load(client, context.fold.needs(observations, context.quietMs));
    const outcome = context.fold.fold(state, observations, context.quietMs, context.now());
    return apply(client, outcome, new Map(observations.map((o) => [o.traceId, o.startedAt])));
  };

  const catchUpChunk = (context: FoldContext, batch: number): Promise<IncidentEvent[] | null> =>
    inTransaction(state.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [CATCH_UP_LOCK]);
      const from = await watermark(client);
      const page = (
        await rows<ObservationRow>(
          client,
          `SELECT ${OBSERVATION_SELECT} FROM traces t LEFT JOIN agents a ON a.id = t.agent_id
           WHERE t.id > $1 ORDER BY t.id LIMIT $2`,
          [from, batch],
        )
      ).map(observationFromRow);
      if (page.length === 0) return null;
      const events = await foldInTransaction(client, context, page);
      if ((await watermark(client)) <= from) {
        throw new DetourwatchError('STORE_FAILED', 'the incident fold did not move the watermark on');
      }
      await insertEvents(client, incidentEvents(events));
      return events;
    });

  const incidents: IncidentStore = {
    setIncidentFold(binding: IncidentBinding | null) {
      state.slot.binding = binding;
    },
    async catchUpIncidents(context, batch = 500) {
      const events: IncidentEvent[] = [];
      for (;;) {
        const chunk = await catchUpChunk(context, batch);
        if (chunk === null) return events;
        events.push(...chunk);
      }
    },
    async sweepIncidents(context) {
      return inTransaction(state.pool, async (client) => {
        const at = context.now();
        // FOR UPDATE: a fold joining one of them waits; a sweep elsewhere re-reads it after this commit and
        // finds it closed, so each incident closes once.
        const open = (
          await rows<IncidentRow>(
            client,
            `SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE state = 'open' AND last_seen <= $1
             ORDER BY last_seen, id FOR UPDATE`,
            [at - context.quietMs],
          )
        ).map(incidentFromRow);
        const events = await apply(client, context.fold.sweep(open, context.quietMs, at), new Map());
        // The event stream (issue 12), last before the COMMIT: it holds the events lock until then.
        await insertEvents(client, incidentEvents(events));
        return events;
      });
    },
    async incidentWatermark() {
      return watermark(state.pool);
    },
  };
  return { incidents, foldInTransaction };
}
