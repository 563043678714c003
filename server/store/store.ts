/**
 * What the coordinator keeps: the one owner of the data. Nothing outside server/store/ speaks SQL or opens a
 * database; everything else reads and writes through these interfaces, one per group of what is held:
 *
 *   agent-store.ts      tokens and agents
 *   task-store.ts       the tasks issued to agents, and which result answered each
 *   trace-store.ts      results, traces and hops (writes, the plain trace list, counts)
 *   history-store.ts    the operators' queries: pages of traces, detours, incidents, baselines, deliveries,
 *                       daily stats, and the chunked detour export
 *   incident-store.ts   the incident ledger the incident fold reads and writes, sweeps, the watermark
 *   delivery-store.ts   webhook delivery records, and their claims when several coordinators run
 *   evidence-store.ts   what evidence bundles read: a trace's raw result and its prober's position
 *   map-store.ts        the map's detours, routes and timeline
 *   retention-store.ts  deletion of old raw data
 *   vantage-store.ts    where agents are believed to be: location status, evidence, overrides, RTT samples
 *   maintenance-store.ts  maintenance windows per agent or target, which silence alerts (issue 14)
 *   router-constraint-store.ts  per router address, each verified agent's lowest RTT (issue 15)
 *   location-correction-store.ts  operators' router-location corrections, the placement-change log and
 *                       re-judging's reads and writes (issue 15)
 *   lease-store.ts      several coordinators: which one holds each agent (leases), the channel between them
 *   event-store.ts      the replayable event stream: every change a live consumer follows, numbered (issue 12)
 *   route-change-store.ts  the record of route changes per pair (issue 14)
 *   measurement-store.ts   the trace of a task's result (GET /api/v1/measurements/{taskId})
 *   import-probe-store.ts  the RIPE Atlas probe of each imported trace (issue 14)
 *
 * Every engine implements all of them; `Store` is one flat object (call sites read `store.writeResults`,
 * `store.detourPage`), and each consumer asks only for the groups it uses (`Pick` or a group interface).
 * The SQLite engine lives in sqlite/ (one file per group, plus open, schema and migrate); a PostgreSQL
 * engine goes beside it. open-store.ts chooses the engine.
 *
 * Synchronous or asynchronous: every method is ASYNCHRONOUS. PostgreSQL answers over a socket, so anything
 * synchronous here would have to be rewritten for it; SQLite answers from the calling thread and simply
 * returns settled promises. The one place that must not await is the inside of a write transaction: on
 * SQLite, better-sqlite3's transactions are synchronous and an await would commit half a batch. That is why
 * incidents and baselines are derived by a pure fold (server/incidents/fold.ts) that the engine calls between
 * loading and writing, inside the transaction that stores the traces (incident-store.ts explains the
 * load -> fold -> apply steps); on PostgreSQL the same steps await one client between BEGIN and COMMIT.
 * Long reads are chunks of short reads (`detourExport`), so no read transaction outlives one call.
 *
 * Times cross the agent and trace interfaces as ISO 8601 strings (as the wire has them) and the history,
 * incident, delivery and retention interfaces as epoch milliseconds (as they compute with them).
 */
import type { AgentStore } from './agent-store.ts';
import type { DeliveryClaimStore, DeliveryStore, RouteChangeDeliveryStore } from './delivery-store.ts';
import type { EventStore } from './event-store.ts';
import type { EvidenceStore } from './evidence-store.ts';
import type { HistoryStore } from './history-store.ts';
import type { ImportProbeStore } from './import-probe-store.ts';
import type { IncidentStore } from './incident-store.ts';
import type { LeaseStore } from './lease-store.ts';
import type { LocationCorrectionStore } from './location-correction-store.ts';
import type { MaintenanceStore } from './maintenance-store.ts';
import type { MapStore } from './map-store.ts';
import type { MeasurementStore } from './measurement-store.ts';
import type { RetentionStore } from './retention-store.ts';
import type { RouteChangeStore } from './route-change-store.ts';
import type { RouterConstraintStore } from './router-constraint-store.ts';
import type { TaskStore } from './task-store.ts';
import type { TraceStore } from './trace-store.ts';
import type { VantageStore } from './vantage-store.ts';

// server/history/filters.ts reads the origin list's type from here; its home is protocol/history-api.ts.
export type { TraceOrigin } from '../../protocol/history-api.ts';

export interface Store
  extends AgentStore,
    TaskStore,
    TraceStore,
    HistoryStore,
    IncidentStore,
    DeliveryStore,
    EvidenceStore,
    MapStore,
    RetentionStore,
    VantageStore,
    MaintenanceStore,
    RouterConstraintStore,
    LocationCorrectionStore,
    LeaseStore,
    DeliveryClaimStore,
    RouteChangeDeliveryStore,
    EventStore,
    RouteChangeStore,
    MeasurementStore,
    ImportProbeStore {
  /** Where the data lives, for the startup log. */
  readonly description: string;
  /** Waits for nothing in flight: call it after everything that uses the store has stopped. */
  close(): Promise<void>;
}
