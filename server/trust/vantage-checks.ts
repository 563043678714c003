import { describeError } from '../../protocol/errors.ts';
import type { AgentStore } from '../store/agent-store.ts';
import type { VantageRecord, VantageStore } from '../store/vantage-store.ts';
import { evaluateVantage, type PeerView, RECENT_TRACES_MS } from './vantage.ts';

/**
 * The vantage checks running beside the coordinator: every stored trace leaves its RTT readings in the store
 * (the incident fold's transaction writes them, rtt-samples.ts), and this re-evaluates, every `everyMs`, just
 * the agents with readings newer than their last evaluation (their own, or a mesh reading by another agent),
 * new agents, and overridden ones. Evaluations are serialized, so two never race on one agent.
 */

export type VantageChecksStore = VantageStore & Pick<AgentStore, 'getAgent'>;

export interface VantageChecksOptions {
  store: VantageChecksStore;
  kmPerMs: number;
  everyMs: number;
  now: () => number;
  log: (line: string) => void;
}

export interface VantageChecks {
  /** Evaluates what changed now; resolves when done. */
  runOnce(): Promise<void>;
  /** Re-evaluates one agent now (after an override). */
  evaluate(agentId: string): Promise<VantageRecord | null>;
  close(): Promise<void>;
}

const BATCH = 100;

export function startVantageChecks(options: VantageChecksOptions): VantageChecks {
  const { store } = options;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const next = chain.then(run, run);
    chain = next.catch(() => {});
    return next;
  };

  async function evaluateOne(agentId: string): Promise<VantageRecord | null> {
    const agent = await store.getAgent(agentId);
    if (agent === null) return null;
    const now = options.now();
    const samples = await store.vantageSamples(agentId);
    const peers = new Map<string, PeerView>();
    for (const s of samples) {
      if (s.kind !== 'mesh') continue;
      const peerId = s.agentId === agentId ? s.subject : s.agentId;
      if (peers.has(peerId)) continue;
      const [peer, view] = await Promise.all([store.getAgent(peerId), store.getVantage(peerId)]);
      if (peer === null) continue;
      peers.set(peerId, {
        name: peer.name,
        location: peer.location,
        status: view?.status ?? 'unverified',
        radiusKm: view?.location.radiusKm ?? null,
      });
    }
    const record = evaluateVantage({
      agent: {
        id: agent.id,
        name: agent.name,
        tokenId: agent.tokenId,
        owner: agent.owner,
        location: agent.location,
        address: agent.address,
      },
      samples,
      peers,
      override: await store.getVantageOverride(agentId),
      traces: await store.traceCounts(agentId, now - RECENT_TRACES_MS),
      kmPerMs: options.kmPerMs,
      now,
    });
    const before = await store.getVantage(agentId);
    await store.saveVantage(record);
    if (before?.status !== record.status) {
      options.log(`vantage ${agent.name} (${agent.id}): ${record.status}: ${record.location.reason}`);
    }
    return record;
  }

  const runOnce = () =>
    serial(async () => {
      for (const id of await store.vantagesToEvaluate(BATCH)) await evaluateOne(id);
    });

  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = runOnce()
      .catch((err) => options.log(`vantage checks: ${describeError(err)}`))
      .finally(() => {
        running = null;
      });
  }, options.everyMs);
  timer.unref();

  return {
    runOnce,
    evaluate: (agentId) => serial(() => evaluateOne(agentId)),
    async close() {
      clearInterval(timer);
      await running;
      await chain;
    },
  };
}
