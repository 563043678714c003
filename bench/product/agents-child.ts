/**
 * Child process: N simulated agents, each a WebSocket client with its own token speaking the real protocol
 * (hello, then `result` messages, acks). Each replays recorded tool output with a fresh resultId per
 * message, keeping at most `window` results unacknowledged (below the coordinator's per-agent pause
 * threshold), as the agent's outbox does. Agent k connects to `agentUrls[k % n]`: with several
 * coordinators the agents split between them, as a load balancer would. Counts acks in a measured window
 * after a warm-up.
 */
import WebSocket from 'ws';
import { parseCoordinatorMessage } from '../../protocol/messages.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../../protocol/version.ts';
import { childJob, reply, runChildMain } from '../child.ts';
import { loadReplayCorpus, variedTexts } from '../fixtures.ts';
import { quantile } from '../stats.ts';

export interface AgentsJob {
  agentUrls: string[];
  tokens: string[];
  window: number;
  variants: number;
  warmupMs: number;
  measureMs: number;
  /** Distinguishes the runs' resultIds. */
  run: number;
  /**
   * Results per second sent by all agents together (each its share, on a timer), as a network of real
   * agents finishing traces does; absent: as fast as each agent's window allows.
   */
  ratePerSecond?: number;
  /** The traces' start time (a store's own clock); absent: when the job began. */
  startedAt?: string;
  /** The measured window ends when the parent sends `finish`, not after `measureMs`. */
  untilFinished?: boolean;
}

/** Ack latencies (send to ack, ms) kept for the percentiles: a bounded sample past this many. */
const MAX_LATENCIES = 1_000_000;

/** US probe locations, so the physics has a declared origin as real agents give. */
const LOCATIONS = [
  { lat: 40.71, lon: -74.01 },
  { lat: 41.88, lon: -87.63 },
  { lat: 37.77, lon: -122.42 },
  { lat: 32.78, lon: -96.8 },
  { lat: 47.61, lon: -122.33 },
  { lat: 33.75, lon: -84.39 },
  { lat: 39.74, lon: -104.99 },
  { lat: 25.76, lon: -80.19 },
];

runChildMain(async () => {
  const job = await childJob<AgentsJob>();
  const corpus = loadReplayCorpus();
  const startedAt = job.startedAt ?? new Date().toISOString();
  const outputs = variedTexts(
    corpus.outputs.map((o) => o.output),
    job.variants,
  );
  const meta = corpus.outputs;
  const messages = outputs.map((output, i) => {
    const o = meta[i % meta.length];
    const text = JSON.stringify({
      type: 'result',
      resultId: '@ID@',
      taskId: null,
      target: o?.target ?? '127.0.0.1',
      engine: o?.engine ?? 'scamper',
      ...(o?.method ? { method: o.method } : {}),
      output,
      startedAt,
      durationMs: 4200,
    });
    // Each message as text around its resultId: sending costs a concatenation, not a JSON.stringify.
    const [before = '', after = ''] = text.split('"@ID@"');
    return { before, after };
  });

  const began = performance.now();
  const windowStart = began + job.warmupMs;
  let windowEnd = job.untilFinished ? Number.POSITIVE_INFINITY : windowStart + job.measureMs;
  // Acknowledgement latency from the agents' side, over the measured window.
  const latencies: number[] = [];
  let latencySeen = 0;
  let longest = 0;
  let acked = 0;
  let ackedInWindow = 0;
  let errors = 0;
  let sent = 0;
  let welcomed = 0;
  const sockets: { ws: WebSocket; inFlight: () => number }[] = [];
  let sending = true;

  await new Promise<void>((resolveAll) => {
    let done = 0;
    job.tokens.forEach((token, a) => {
      const ws = new WebSocket(job.agentUrls[a % job.agentUrls.length] ?? '', {
        headers: { authorization: `Bearer ${token}` },
        perMessageDeflate: false,
      });
      let seq = 0;
      let inFlight = 0;
      const sentAt = new Map<string, number>();
      // Paced: this agent's share of the rate; what the window holds back is sent when acks free it.
      const perAgent = job.ratePerSecond === undefined ? null : job.ratePerSecond / job.tokens.length;
      let due = 0;
      sockets.push({ ws, inFlight: () => inFlight });
      const sendOne = () => {
        const m = messages[(a * 7919 + seq) % messages.length];
        if (!m) return;
        const id = `bench-${job.run}-${a}-${seq}`;
        sentAt.set(id, performance.now());
        ws.send(`${m.before}"${id}"${m.after}`);
        seq++;
        sent++;
        inFlight++;
      };
      const fill = () => {
        if (perAgent === null) {
          while (sending && inFlight < job.window) sendOne();
          return;
        }
        while (sending && due >= 1 && inFlight < job.window) {
          sendOne();
          due--;
        }
      };
      const pace = (last: number) => {
        if (perAgent === null || !sending) return;
        const now = performance.now();
        // At most a window's worth owed: a stalled coordinator is not flooded when it comes back.
        due = Math.min(job.window, due + ((now - last) / 1000) * perAgent);
        fill();
        setTimeout(() => pace(now), 10);
      };
      const finish = () => {
        done++;
        if (done === job.tokens.length) resolveAll();
      };
      ws.on('open', () => {
        ws.send(
          JSON.stringify({
            type: 'hello',
            protocolVersion: PROTOCOL_VERSION,
            agentVersion: AGENT_VERSION,
            engines: ['scamper', 'traceroute'],
            location: LOCATIONS[a % LOCATIONS.length],
            limits: { maxConcurrent: 4, maxPerMinute: 600 },
            pending: 0,
          }),
        );
      });
      ws.on('message', (data) => {
        const m = parseCoordinatorMessage(String(data));
        if (m.type === 'welcome') {
          welcomed++;
          if (perAgent === null) fill();
          else pace(performance.now());
        } else if (m.type === 'ack') {
          inFlight--;
          acked++;
          const now = performance.now();
          const sentTime = sentAt.get(m.resultId);
          sentAt.delete(m.resultId);
          if (now >= windowStart && now < windowEnd) {
            ackedInWindow++;
            if (sentTime !== undefined) {
              // Reservoir sample past MAX_LATENCIES, so a 10-minute run stays bounded.
              latencySeen++;
              longest = Math.max(longest, now - sentTime);
              if (latencies.length < MAX_LATENCIES) latencies.push(now - sentTime);
              else {
                const k = Math.floor(Math.random() * latencySeen);
                if (k < MAX_LATENCIES) latencies[k] = now - sentTime;
              }
            }
          }
          if (sending) fill();
          else if (inFlight === 0) ws.close(1000);
        } else if (m.type === 'error') {
          if (errors === 0)
            console.warn(`bench agent ${a}: the coordinator answered ${m.code}: ${m.message}`);
          errors++;
          inFlight--;
        }
      });
      ws.on('close', finish);
      ws.on('error', (err) => {
        if (errors === 0) console.warn(`bench agent ${a}: ${err.message}`);
        errors++;
      });
    });
    // Stop sending at the end of the window; close once acks are in (bounded: terminate after 20 s).
    const stopSending = () => {
      sending = false;
      for (const s of sockets) if (s.inFlight() === 0 && s.ws.readyState === WebSocket.OPEN) s.ws.close(1000);
      setTimeout(() => {
        for (const s of sockets) s.ws.terminate();
      }, 20_000).unref();
    };
    if (job.untilFinished) {
      process.on('message', (m: { type?: string }) => {
        if (m.type !== 'finish' || !sending) return;
        windowEnd = performance.now();
        stopSending();
      });
    } else setTimeout(stopSending, job.warmupMs + job.measureMs);
  });
  const windowSeconds = (windowEnd - windowStart) / 1000;
  reply({
    type: 'result',
    perSecond: ackedInWindow / windowSeconds,
    windowSeconds,
    ackP50Ms: quantile(latencies, 0.5),
    ackP99Ms: quantile(latencies, 0.99),
    ackMaxMs: latencySeen === 0 ? Number.NaN : longest,
    acked,
    sent,
    errors,
    welcomed,
    distinctOutputs: outputs.length,
  });
  process.disconnect();
});
