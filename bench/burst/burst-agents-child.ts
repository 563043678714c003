/**
 * Child process: N simulated agents that behave like the real agent's outbox under a burst. Each makes
 * results at `ratePerAgent` per second into an in-memory outbox (whatever the coordinator does: the burst is
 * the traces finishing), sends them oldest first with at most `window` unacknowledged, sends a `retry`-acked
 * one again after its delay, and sends nothing while a `slow-down` lasts. A result leaves the outbox only on
 * a `stored` or `duplicate` ack. Reports what was made, acked, retried and how often it was told to slow down.
 */
import WebSocket from 'ws';
import { parseCoordinatorMessage } from '../../protocol/messages.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../../protocol/version.ts';
import { childJob, reply, runChildMain } from '../child.ts';
import { loadReplayCorpus, variedTexts } from '../fixtures.ts';

export interface BurstAgentsJob {
  agentUrl: string;
  tokens: string[];
  window: number;
  variants: number;
  ratePerAgent: number;
  burstMs: number;
  /** After the burst: how long to wait for the outboxes to drain. */
  drainMs: number;
}

export interface BurstAgentsResult {
  made: number;
  /** Distinct results acked stored or duplicate. */
  acked: number;
  sent: number;
  retried: number;
  slowDowns: number;
  /** Results still in the outboxes when the drain time ran out. */
  left: number;
  /** Acks per second while the burst lasted. */
  ackedPerSecondInBurst: number;
  drainSeconds: number;
  errors: number;
}

runChildMain(async () => {
  const job = await childJob<BurstAgentsJob>();
  const corpus = loadReplayCorpus();
  const startedAt = new Date().toISOString();
  const outputs = variedTexts(
    corpus.outputs.map((o) => o.output),
    job.variants,
  );
  const texts = outputs.map((output, i) => {
    const o = corpus.outputs[i % corpus.outputs.length];
    const [before = '', after = ''] = JSON.stringify({
      type: 'result',
      resultId: '@ID@',
      taskId: null,
      target: o?.target ?? '127.0.0.1',
      engine: o?.engine ?? 'scamper',
      ...(o?.method ? { method: o.method } : {}),
      output,
      startedAt,
      durationMs: 4200,
    }).split('"@ID@"');
    return { before, after };
  });

  let made = 0;
  let acked = 0;
  let ackedInBurst = 0;
  let sent = 0;
  let retried = 0;
  let slowDowns = 0;
  let errors = 0;
  // The burst starts once every agent is welcomed (64 hellos take a while on a loaded machine).
  let began = Number.POSITIVE_INFINITY;
  let burstEnd = Number.POSITIVE_INFINITY;
  let welcomes = 0;
  const makers: (() => void)[] = [];
  const outboxes: { left: () => number; stop: () => void }[] = [];

  const finished = new Promise<void>((resolveAll) => {
    let open = job.tokens.length;
    job.tokens.forEach((token, a) => {
      /** resultId -> which text it carries and when it may go (performance.now()); texts are built on send. */
      const outbox = new Map<string, { text: number; notBefore: number; inFlight: boolean }>();
      let pausedUntil = 0;
      let inFlight = 0;
      let welcomed = false;
      let seq = 0;
      let wake: NodeJS.Timeout | null = null;
      const ws = new WebSocket(job.agentUrl, {
        headers: { authorization: `Bearer ${token}` },
        perMessageDeflate: false,
      });
      const pump = () => {
        if (!welcomed || ws.readyState !== WebSocket.OPEN) return;
        const now = performance.now();
        if (now < pausedUntil) return schedule(pausedUntil - now);
        let soonest = Number.POSITIVE_INFINITY;
        for (const [id, e] of outbox) {
          if (inFlight >= job.window) break;
          if (e.inFlight) continue;
          if (e.notBefore > now) {
            soonest = Math.min(soonest, e.notBefore);
            continue;
          }
          const m = texts[e.text];
          if (!m) continue;
          e.inFlight = true;
          inFlight++;
          sent++;
          ws.send(`${m.before}"${id}"${m.after}`);
        }
        if (soonest !== Number.POSITIVE_INFINITY) schedule(soonest - now);
      };
      const schedule = (ms: number) => {
        if (wake) return;
        wake = setTimeout(
          () => {
            wake = null;
            pump();
          },
          Math.max(1, ms),
        );
      };
      // The burst: results finish at a steady rate, whatever the coordinator says.
      const interval = 1000 / job.ratePerAgent;
      let due = 0;
      let maker: NodeJS.Timeout | undefined;
      makers.push(() => {
        due = began;
        maker = setInterval(make, 10);
      });
      const make = () => {
        const now = performance.now();
        while (due <= Math.min(now, burstEnd)) {
          const id = `burst-${a}-${seq}`;
          outbox.set(id, { text: (a * 7919 + seq) % texts.length, notBefore: 0, inFlight: false });
          seq++;
          made++;
          due += interval;
        }
        if (now >= burstEnd) clearInterval(maker);
        pump();
      };
      outboxes.push({
        left: () => outbox.size,
        stop: () => {
          clearInterval(maker);
          if (wake) clearTimeout(wake);
          ws.terminate();
        },
      });
      ws.on('open', () => {
        ws.send(
          JSON.stringify({
            type: 'hello',
            protocolVersion: PROTOCOL_VERSION,
            agentVersion: AGENT_VERSION,
            engines: ['scamper', 'traceroute'],
            location: { lat: 40.71, lon: -74.01 },
            limits: { maxConcurrent: 4, maxPerMinute: 600 },
            pending: 0,
          }),
        );
      });
      ws.on('message', (data) => {
        const m = parseCoordinatorMessage(String(data));
        if (m.type === 'welcome') {
          welcomed = true;
          if (++welcomes === job.tokens.length) {
            began = performance.now();
            burstEnd = began + job.burstMs;
            for (const start of makers) start();
          }
        } else if (m.type === 'slow-down') {
          slowDowns++;
          pausedUntil = Math.max(pausedUntil, performance.now() + m.retryAfterMs);
        } else if (m.type === 'ack') {
          const e = outbox.get(m.resultId);
          if (!e) return;
          if (e.inFlight) inFlight--;
          e.inFlight = false;
          if (m.status === 'retry') {
            retried++;
            e.notBefore = performance.now() + m.retryAfterMs;
          } else {
            if (m.status === 'refused') errors++;
            outbox.delete(m.resultId);
            acked++;
            if (performance.now() < burstEnd) ackedInBurst++;
          }
          pump();
        } else if (m.type === 'error') {
          errors++;
        }
      });
      ws.on('close', () => {
        open--;
        if (open === 0) resolveAll();
      });
      ws.on('error', () => {
        errors++;
      });
    });
  });

  while (welcomes < job.tokens.length) await new Promise((r) => setTimeout(r, 50));
  // Drained: every result made is acked (or the drain time ran out).
  const deadline = burstEnd + job.drainMs;
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    if (performance.now() > burstEnd && outboxes.every((o) => o.left() === 0)) break;
  }
  const drainSeconds = (performance.now() - burstEnd) / 1000;
  const left = outboxes.reduce((sum, o) => sum + o.left(), 0);
  for (const o of outboxes) o.stop();
  await finished;
  const result: BurstAgentsResult = {
    made,
    acked,
    sent,
    retried,
    slowDowns,
    left,
    ackedPerSecondInBurst: ackedInBurst / (job.burstMs / 1000),
    drainSeconds,
    errors,
  };
  reply({ type: 'result', ...result });
  process.disconnect();
});
