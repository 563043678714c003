import type { ClientBase } from 'pg';
import { DetourwatchError, describeError } from '../../../protocol/errors.ts';
import { observationOf } from '../../incidents/observation.ts';
import type { IncidentEvent, TraceObservation } from '../../incidents/types.ts';
import { writeEvents } from '../event-rows.ts';
import { type ForeignHopRow, foreignCountries, foreignHopRows, type HopRow, hopRows } from '../hop-rows.ts';
import { routerReadings } from '../router-readings.ts';
import {
  epochMs,
  HOP_COLUMNS,
  hopItem,
  type StoredHopRow,
  TRACE_FROM,
  TRACE_SELECT,
  type TraceRow,
  traceSummary,
} from '../rows.ts';
import type { ImportRecord, StoreCounts, TraceRecord, TraceStore, WriteOutcome } from '../trace-store.ts';
import { decodeVerdict, encodeVerdict } from '../verdict-codec.ts';
import { insertEvents } from './events.ts';
import type { PgFoldInTransaction } from './incidents.ts';
import { monthOf } from './partitions.ts';
import { row, rows } from './query.ts';
import { writeRouterReadings } from './router-constraints.ts';
import type { PgState } from './state.ts';
import { inTransaction, isTransient, writeFailure } from './transaction.ts';

/** A trace ready to insert: everything computed before the transaction, so the transaction only writes. */
interface PreparedTrace {
  record: TraceRecord;
  startedAt: number;
  hops: HopRow[];
  foreign: ForeignHopRow[];
}

/** A tool's own start time is untrusted text: the agent's (validated) one stands in for it. */
function prepareTrace(record: TraceRecord, fallbackStart: string | null): PreparedTrace {
  const ownStart = Date.parse(record.trace.startedAt ?? '');
  if (Number.isNaN(ownStart) && fallbackStart === null) {
    throw new DetourwatchError('STORE_FAILED', 'an imported trace without a start time cannot be stored');
  }
  const startedAt = Number.isNaN(ownStart) ? epochMs(fallbackStart ?? '') : ownStart;
  return {
    record,
    startedAt,
    hops: hopRows(record.trace, record.verdict),
    foreign: foreignHopRows(record.verdict),
  };
}

/**
 * The batched writes: one statement per table per batch, its rows as arrays that `unnest` turns back into
 * rows (one parameter per column, whatever the batch's size, so the statement text never changes). Trace
 * ids come from the sequence before the insert, in input order, so hops and the fold know them at once.
 */
async function insertTraces(
  client: ClientBase,
  ids: readonly number[],
  traces: readonly PreparedTrace[],
  resultRowIds: readonly (number | null)[],
  hopsDroppedBefore: number,
): Promise<TraceObservation[]> {
  if (traces.length === 0) return [];
  const col = <T>(f: (t: PreparedTrace, i: number) => T): T[] => traces.map(f);
  await client.query(
    `INSERT INTO traces (id, result_id, origin, agent_id, source_ip, destination_ip, destination_name, tool, method,
       ip_version, started_at, verdict, confidence, home_country, countries, foreign_countries, foreign_asns,
       extra_km, verdict_json, source_lat, source_lon, path_asns, hops_purged_at, late, saved_by, verdict_z)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::text[], $9::text[], $10::smallint[], $11::bigint[], $12::text[], $13::text[], $14::text[], $15::text[],
       $16::text[], $17::text[], $18::float8[], $19::text[], $20::float8[], $21::float8[], $22::text[],
       $23::bigint[], $24::boolean[], $25::text[], $26::bytea[])`,
    [
      ids,
      resultRowIds,
      col((t) => t.record.origin),
      col((t) => t.record.agentId),
      col((t) => t.record.trace.source.address),
      col((t) => t.record.trace.destination.address),
      col((t) => t.record.trace.destination.name ?? null),
      col((t) => t.record.trace.tool),
      col((t) => t.record.trace.method),
      col((t) => t.record.trace.ipVersion),
      col((t) => t.startedAt),
      col((t) => t.record.verdict.verdict),
      col((t) => t.record.verdict.confidence),
      col((t) => t.record.verdict.homeCountry),
      col((t) => JSON.stringify(t.record.verdict.countries)),
      col((t) => JSON.stringify(foreignCountries(t.record.verdict))),
      col((t) => JSON.stringify(t.record.verdict.foreignAsns)),
      col((t) => t.record.verdict.extraKm),
      // The verdict is kept once, deflated, in verdict_z ($26; server/store/verdict-codec.ts).
      col(() => ''),
      col((t) => t.record.sourcePosition?.lat ?? null),
      col((t) => t.record.sourcePosition?.lon ?? null),
      col((t) => (t.record.pathAsns ? JSON.stringify(t.record.pathAsns) : null)),
      // A month whose hops retention has already dropped keeps none of a late trace's hops either.
      col((t) => (t.startedAt < hopsDroppedBefore ? Date.now() : null)),
      col((t) => t.record.late === true),
      col((t) => (t.record as ImportRecord).savedBy ?? null),
      col((t) => encodeVerdict(t.record.verdict)),
    ],
  );
  const hops: (HopRow & { traceId: number; startedAt: number })[] = [];
  const foreign: (ForeignHopRow & { traceId: number; startedAt: number })[] = [];
  traces.forEach((t, i) => {
    const traceId = ids[i] as number;
    if (t.startedAt >= hopsDroppedBefore)
      for (const h of t.hops) hops.push({ ...h, traceId, startedAt: t.startedAt });
    for (const f of t.foreign) foreign.push({ ...f, traceId, startedAt: t.startedAt });
  });
  if (hops.length > 0) {
    await client.query(
      `INSERT INTO hops (trace_id, started_at, ttl, seq, ip, rtt_ms, replies, status, country, asn)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::smallint[], $4::smallint[], $5::text[], $6::float8[],
         $7::integer[], $8::text[], $9::text[], $10::bigint[])`,
      [
        hops.map((h) => h.traceId),
        hops.map((h) => h.startedAt),
        hops.map((h) => h.ttl),
        hops.map((h) => h.seq),
        hops.map((h) => h.ip),
        hops.map((h) => h.rttMs),
        hops.map((h) => h.replies),
        hops.map((h) => h.status),
        hops.map((h) => h.country),
        hops.map((h) => h.asn),
      ],
    );
  }
  if (foreign.length > 0) {
    await client.query(
      `INSERT INTO foreign_hops (trace_id, started_at, ttl, ip, country, asn, confirmed)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::smallint[], $4::text[], $5::text[], $6::bigint[],
         $7::boolean[])`,
      [
        foreign.map((f) => f.traceId),
        foreign.map((f) => f.startedAt),
        foreign.map((f) => f.ttl),
        foreign.map((f) => f.ip),
        foreign.map((f) => f.country),
        foreign.map((f) => f.asn),
        foreign.map((f) => f.confirmed),
      ],
    );
  }
  return traces.map((t, i) =>
    observationOf({
      traceId: ids[i] as number,
      agentId: t.record.agentId,
      trace: t.record.trace,
      verdict: t.record.verdict,
      startedAt: t.startedAt,
      sourcePosition: t.record.sourcePosition ?? null,
      pathAsns: t.record.pathAsns ?? null,
      late: t.record.late === true,
    }),
  );
}

/** `n` fresh trace ids, ascending. */
async function traceIds(client: ClientBase, n: number): Promise<number[]> {
  if (n === 0) return [];
  const got = await rows<{ id: number }>(
    client,
    "SELECT nextval('traces_id_seq') AS id FROM generate_series(1, $1::integer)",
    [n],
  );
  return got.map((r) => r.id);
}

/** PostgreSQL's answer to a row for a partition that is not there (another coordinator dropped it). */
function noPartition(err: unknown): boolean {
  return (err as { code?: string }).code === '23514' && /no partition/i.test((err as Error).message);
}

export function pgTraces(state: PgState, foldInTransaction: PgFoldInTransaction): TraceStore {
  const { pool } = state;

  /**
   * Makes sure the partitions exist, then runs `write` and the bound incident fold over what it wrote in ONE
   * transaction. Anything that throws, the fold included, rolls all of it back and rejects the write; the
   * fold's events go out only after the commit. A partition dropped under this coordinator's cache is
   * looked up again and the write tried once more.
   */
  async function withFold<T>(
    what: string,
    prepared: readonly PreparedTrace[],
    write: (client: ClientBase, written: TraceObservation[]) => Promise<T>,
  ): Promise<T> {
    const binding = state.slot.binding;
    let events: IncidentEvent[] = [];
    const attempt = async (): Promise<T> => {
      const dropped = state.hopsDroppedBefore;
      await state.partitions.ensure(
        prepared.map((t) => monthOf(t.startedAt)),
        prepared.filter((t) => t.startedAt >= dropped && t.hops.length > 0).map((t) => monthOf(t.startedAt)),
      );
      return inTransaction(pool, async (client) => {
        events = [];
        const written: TraceObservation[] = [];
        const value = await write(client, written);
        if (binding && written.length > 0) {
          try {
            events = await foldInTransaction(client, binding, written);
          } catch (err) {
            if (isTransient(err)) throw err;
            throw new DetourwatchError(
              'STORE_FAILED',
              `cannot fold ${written.length} trace(s) into incidents, so none was stored: ${describeError(err)}`,
              { cause: err },
            );
          }
        }
        // The event stream (issue 12), last before the COMMIT: it holds the events lock until then.
        await insertEvents(client, writeEvents(written, events, Date.now()));
        return value;
      });
    };
    let value: T;
    try {
      try {
        value = await attempt();
      } catch (err) {
        if (!noPartition(err)) throw err;
        state.partitions.forget();
        await state.refreshHopsDroppedBefore();
        value = await attempt();
      }
    } catch (err) {
      throw writeFailure(err, what);
    }
    if (binding && events.length > 0) {
      try {
        binding.committed(events);
      } catch {
        // The write is durable: answering it as failed would make the sender store it again.
      }
    }
    return value;
  }

  return {
    async writeResults(records) {
      // A resultId seen earlier in the batch is a duplicate, as it would be in the store.
      const first = new Set<number>();
      const seen = new Set<string>();
      records.forEach((r, i) => {
        if (!seen.has(r.resultId)) first.add(i);
        seen.add(r.resultId);
      });
      const prepared = records.map((r) => ({
        times: { startedAt: epochMs(r.startedAt), receivedAt: epochMs(r.receivedAt) },
        traces: r.traces.map((t) => prepareTrace(t, r.startedAt)),
      }));
      const candidates = records.flatMap((r, i) => (first.has(i) ? [{ r, i }] : []));
      return withFold(
        `${records.length} result(s)`,
        candidates.flatMap(({ i }) => prepared[i]?.traces ?? []),
        async (client, written) => {
          const inserted = await rows<{ id: number; result_id: string }>(
            client,
            `INSERT INTO results (result_id, agent_id, task_id, target, engine, started_at, duration_ms,
               received_at, output, error)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
               $7::float8[], $8::bigint[], $9::text[], $10::text[])
             ON CONFLICT (result_id) DO NOTHING
             RETURNING id, result_id`,
            [
              candidates.map(({ r }) => r.resultId),
              candidates.map(({ r }) => r.agentId),
              candidates.map(({ r }) => r.taskId),
              candidates.map(({ r }) => r.target),
              candidates.map(({ r }) => r.engine),
              candidates.map(({ i }) => prepared[i]?.times.startedAt),
              candidates.map(({ r }) => r.durationMs),
              candidates.map(({ i }) => prepared[i]?.times.receivedAt),
              candidates.map(({ r }) => r.output),
              candidates.map(({ r }) => r.error),
            ],
          );
          const rowIdOf = new Map(inserted.map((r) => [r.result_id, r.id]));
          const traces: PreparedTrace[] = [];
          const resultRowIds: number[] = [];
          const outcomes = records.map((r, i): WriteOutcome => {
            const rowId = first.has(i) ? rowIdOf.get(r.resultId) : undefined;
            if (rowId === undefined) return 'duplicate';
            for (const t of prepared[i]?.traces ?? []) {
              traces.push(t);
              resultRowIds.push(rowId);
            }
            return 'stored';
          });
          const ids = await traceIds(client, traces.length);
          written.push(...(await insertTraces(client, ids, traces, resultRowIds, state.hopsDroppedBefore)));
          // Router constraints (issue 15), in the transaction that stores the traces that measured them.
          await writeRouterReadings(client, routerReadings(traces));
          return outcomes;
        },
      );
    },

    async knownImportKeys(keys) {
      if (keys.length === 0) return new Set();
      const known = await rows<{ key: string }>(
        pool,
        'SELECT key FROM import_keys WHERE key = ANY($1::text[])',
        [[...keys]],
      );
      return new Set(known.map((k) => k.key));
    },

    async writeImported(records) {
      const prepared = records.map((r) => prepareTrace(r, null));
      return withFold(`${records.length} imported trace(s)`, prepared, async (client, written) => {
        // Claimed inside the write transaction: a key another writer stores first conflicts here (and waits
        // for that writer's commit), and of one key given twice only the first is claimed.
        const claimed = new Set(
          (
            await rows<{ key: string }>(
              client,
              `INSERT INTO import_keys (key) SELECT * FROM unnest($1::text[])
               ON CONFLICT (key) DO NOTHING RETURNING key`,
              [records.map((r) => r.importKey)],
            )
          ).map((c) => c.key),
        );
        const traces: PreparedTrace[] = [];
        records.forEach((r, i) => {
          const t = prepared[i];
          if (!claimed.delete(r.importKey) || t === undefined) return;
          traces.push(t);
        });
        // Ids only for what is stored, so a skipped key leaves no gap (as on SQLite).
        const ids = await traceIds(client, traces.length);
        // Each claimed key names its trace (issue 13: a paste saved again answers the first save's ids).
        await client.query(
          `UPDATE import_keys k SET trace_id = u.id FROM unnest($1::text[], $2::bigint[]) AS u(key, id)
           WHERE k.key = u.key`,
          [traces.map((t) => (t.record as ImportRecord).importKey), ids],
        );
        written.push(
          ...(await insertTraces(
            client,
            ids,
            traces,
            traces.map(() => null),
            state.hopsDroppedBefore,
          )),
        );
        return traces.length;
      });
    },

    async importedTraceIds(keys) {
      if (keys.length === 0) return new Map();
      const found = await rows<{ key: string; trace_id: string | number }>(
        pool,
        'SELECT key, trace_id FROM import_keys WHERE key = ANY($1::text[]) AND trace_id IS NOT NULL',
        [[...keys]],
      );
      return new Map(found.map((k) => [k.key, Number(k.trace_id)]));
    },

    async getTrace(id) {
      type DetailRow = TraceRow & {
        verdict_json: string;
        verdict_z: Buffer | null;
        started_at: number;
        saved_by: string | null;
      };
      const found = await row<DetailRow>(
        pool,
        `SELECT ${TRACE_SELECT}, t.verdict_json, t.verdict_z, t.saved_by FROM ${TRACE_FROM} WHERE t.id = $1`,
        [id],
      );
      if (!found) return null;
      const hops = await rows<StoredHopRow>(
        pool,
        `SELECT ${HOP_COLUMNS} FROM hops WHERE trace_id = $1 AND started_at = $2 ORDER BY ttl, seq`,
        [id, found.started_at],
      );
      return {
        ...traceSummary(found),
        verdictDetail: decodeVerdict(found.verdict_json, found.verdict_z),
        hops: hops.map(hopItem),
        ...(found.saved_by === null ? {} : { savedBy: found.saved_by }),
      };
    },

    async listTraces(options) {
      const found = await rows<TraceRow>(
        pool,
        `SELECT ${TRACE_SELECT} FROM ${TRACE_FROM} ORDER BY t.started_at DESC, t.id DESC LIMIT $1`,
        [options.limit],
      );
      return found.map(traceSummary);
    },

    async counts() {
      return (await row<StoreCounts>(
        pool,
        `SELECT (SELECT COUNT(*) FROM tokens) AS tokens,
           (SELECT COUNT(*) FROM agents) AS "agents",
           (SELECT COUNT(*) FROM agents WHERE connected) AS "agentsConnected",
           (SELECT COUNT(*) FROM results) AS results,
           (SELECT COUNT(*) FROM results WHERE error IS NOT NULL) AS "resultsWithErrors",
           (SELECT COUNT(*) FROM traces) AS traces`,
      )) as StoreCounts;
    },
  };
}
