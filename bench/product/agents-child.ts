/**
 * Child process: N simulated agents, each a WebSocket client with its own token speaking the real protocol
 * (hello, then `result` messages, acks). Each replays recorded tool output with a fresh resultId per
 * message, keeping at most `window` results unacknowledged (below the coordinator's per-agent pause
 * threshold), as the agent's outbox does. Counts acks in a measured window after a warm-up.
 */
import WebSocket from 'ws';
import { parseCoordinatorMessage } from '../../protocol/messages.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../../protocol/version.ts';
import { childJob, reply, runChildMain } from '../child.ts';
import { loadReplayCorpus, variedTexts } from '../fixtures.ts';

export interface AgentsJob {
  agentUrl: string;
  tokens: string[];
  window: number;
  variants: number;
  warmupMs: number;
  measureMs: number;
  /** Distinguishes the runs' resultIds. */
  run: number;
}

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
  const startedAt = new Date().toISOString();
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
  const windowEnd = windowStart + job.measureMs;
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
      const ws = new WebSocket(job.agentUrl, {
        headers: { authorization: `Bearer ${token}` },
        perMessageDeflate: false,
      });
      let seq = 0;
      let inFlight = 0;
      sockets.push({ ws, inFlight: () => inFlight });
      const sendOne = () => {
        const m = messages[(a * 7919 + seq) % messages.length];
        if (!m) return;
        ws.send(`${m.before}"bench-${job.run}-${a}-${seq}"${m.after}`);
        seq++;
        sent++;
        inFlight++;
      };
      const fill = () => {
        while (sending && inFlight < job.window) sendOne();
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
          fill();
        } else if (m.type === 'ack') {
          inFlight--;
          acked++;
          const now = performance.now();
          if (now >= windowStart && now < windowEnd) ackedInWindow++;
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
    setTimeout(() => {
      sending = false;
      for (const s of sockets) if (s.inFlight() === 0 && s.ws.readyState === WebSocket.OPEN) s.ws.close(1000);
      setTimeout(() => {
        for (const s of sockets) s.ws.terminate();
      }, 20_000).unref();
    }, job.warmupMs + job.measureMs);
  });
  reply({
    type: 'result',
    perSecond: ackedInWindow / (job.measureMs / 1000),
    acked,
    sent,
    errors,
    welcomed,
    distinctOutputs: outputs.length,
  });
  process.disconnect();
});
