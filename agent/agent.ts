import { DetourwatchError, describeError } from '../protocol/errors.ts';
import type {
  EngineName,
  HelloMessage,
  ResultMessage,
  TaskFailedMessage,
  TaskMessage,
  WelcomeMessage,
} from '../protocol/messages.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../protocol/version.ts';
import { backoffDelayMs, wasStable, wrongServerDelayMs } from './backoff.ts';
import type { AgentConfig } from './config.ts';
import { Delivery } from './delivery.ts';
import type { Logger } from './log.ts';
import { Outbox } from './outbox.ts';
import { newResultId } from './outbox-files.ts';
import type { Probe } from './probe.ts';
import { RepeatNotice } from './repeat-notice.ts';
import { Session, type SessionEnd } from './session.ts';
import { queueBound, TaskQueue } from './task-queue.ts';

/** Why a task produced no result; sent to the coordinator in `task-failed.code`. */
export type TaskFailureCode =
  | 'TARGET_REFUSED'
  | 'BUSY'
  | 'ENGINE_FAILED'
  | 'ENGINE_MISSING'
  | 'STORE_FAILED'
  | 'RESULT_TOO_LARGE'
  | 'SHUTTING_DOWN';

export interface AgentDeps {
  config: AgentConfig;
  /** Announced in hello: the engines this agent will use, preferred first. */
  engines: EngineName[];
  probe: Probe;
  log: Logger;
}

/** On shutdown, running traces and undelivered results get this long before they are cut off. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * After 4009 (another connection with this token is alive) the next try waits this long plus up to as much
 * again: the other connection will not go away in seconds, and two agents sharing a token must not spin.
 */
export const ALREADY_CONNECTED_RETRY_MS = 30_000;

/** The "not a coordinator" line repeats at most this often, however often the agent retries meanwhile. */
export const WRONG_SERVER_LOG_INTERVAL_MS = 60 * 60_000;

function failureCode(err: unknown): TaskFailureCode {
  if (err instanceof DetourwatchError) {
    if (err.code === 'TARGET_REFUSED' || err.code === 'ENGINE_MISSING') return err.code;
    if (err.code === 'INPUT_TOO_LARGE') return 'RESULT_TOO_LARGE';
  }
  return 'ENGINE_FAILED';
}

/** What the volunteer must do when the coordinator refuses the agent; the agent stops rather than retry. */
function refusalError(end: Extract<SessionEnd, { kind: 'refused' }>): DetourwatchError {
  const said = end.reason ? ` The coordinator said: "${end.reason}".` : '';
  if (end.code === 'AUTH_FAILED') {
    return new DetourwatchError(
      'AUTH_FAILED',
      `the coordinator refused this agent's token.${said} Ask the coordinator's operator for a new token ` +
        '(they run `detourwatch token create --name NAME`), then start the agent with DETOURWATCH_TOKEN set to it.',
    );
  }
  if (end.code === 'TLS_UNTRUSTED') return new DetourwatchError('TLS_UNTRUSTED', end.reason);
  if (end.code === 'LOCATION_IMPOSSIBLE') {
    return new DetourwatchError(
      'LOCATION_IMPOSSIBLE',
      `the coordinator refused this agent's location.${said} Start the agent with --location LAT,LON of the ` +
        'machine it runs on.',
    );
  }
  return new DetourwatchError(
    'VERSION_INCOMPATIBLE',
    `the coordinator does not accept this agent's protocol version ${PROTOCOL_VERSION} ` +
      `(detourwatch ${AGENT_VERSION}).${said} Install the detourwatch release the coordinator runs, then start again.`,
  );
}

/** Resolves with `work`'s value, or null as soon as `signal` aborts; leaves no listener behind either way. */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | null> {
  if (signal.aborted) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * The volunteer's agent: keeps a connection to the coordinator (reconnecting with backoff), runs the tasks
 * it receives within the volunteer's limits, and delivers every result through the durable outbox.
 */
export class Agent {
  private readonly queue: TaskQueue<TaskMessage>;
  /** Cancels running traces: at the end of the shutdown grace, or at once on a second stop(). */
  private readonly abort = new AbortController();
  /** Interrupts waiting (for the session to end, or for the next reconnect) when stop() is called. */
  private readonly stopRequest = new AbortController();
  private session: Session | null = null;
  private stopping = false;

  private constructor(
    private readonly deps: AgentDeps,
    private readonly outbox: Outbox,
    private readonly delivery: Delivery,
  ) {
    const { limits } = deps.config;
    this.queue = new TaskQueue(
      { ...limits, maxQueued: queueBound(limits.maxConcurrent, limits.maxPerMinute) },
      (err, task) => deps.log.error('task-failed', { taskId: task.taskId, bug: describeError(err) }),
    );
  }

  /** Opens the outbox (so a bad --outbox fails before any connection) and returns an agent ready to run. */
  static async create(deps: AgentDeps): Promise<Agent> {
    const { outbox, pending } = await Outbox.open(deps.config.outboxDir, deps.log);
    return new Agent(deps, outbox, new Delivery(outbox, deps.log, pending));
  }

  /**
   * Runs until stop() (resolves after a clean shutdown) or until the coordinator refuses this agent
   * (rejects with AUTH_FAILED or VERSION_INCOMPATIBLE), or its certificate is not trusted (TLS_UNTRUSTED):
   * retrying would not help.
   */
  async run(): Promise<void> {
    const { log } = this.deps;
    let failures = 0;
    let wrongServer = 0;
    const wrongServerNotice = new RepeatNotice(WRONG_SERVER_LOG_INTERVAL_MS);
    while (!this.stopping) {
      const session = this.connect();
      const end = await unlessAborted(session.ended, this.stopRequest.signal);
      if (end === null) break;
      this.disconnected(end);
      if (end.kind === 'refused') {
        log.error('fatal', { code: end.code, reason: end.reason });
        await this.shutdown(0);
        throw refusalError(end);
      }
      if (end.kind === 'closed') break;
      if (end.kind === 'already-connected') {
        const delayMs = ALREADY_CONNECTED_RETRY_MS + Math.floor(Math.random() * ALREADY_CONNECTED_RETRY_MS);
        log.error('already-connected', {
          reason: end.reason,
          advice: 'another agent seems to use this token; each agent needs its own',
          retryInSeconds: (delayMs / 1000).toFixed(0),
        });
        await delay(delayMs, this.stopRequest.signal);
        continue;
      }
      if (end.kind === 'not-coordinator') {
        const delayMs = wrongServerDelayMs(wrongServer);
        wrongServer++;
        const notice = wrongServerNotice.next(end.reason, Date.now());
        if (notice !== null) {
          log.error('not-a-coordinator', {
            reason: end.reason,
            advice: 'check --server: it must be the coordinator operator gave you (ws://HOST:PORT)',
            retryInMinutes: (delayMs / 60_000).toFixed(1),
            ...(notice.repeated > 0 ? { repeatedSinceLastLine: notice.repeated } : {}),
          });
        }
        await delay(delayMs, this.stopRequest.signal);
        continue;
      }
      wrongServer = 0;
      if (wasStable(end.connectedForMs)) failures = 0;
      const delayMs = backoffDelayMs(failures);
      failures++;
      log.info('reconnecting', { inSeconds: (delayMs / 1000).toFixed(1), attempt: failures });
      await delay(delayMs, this.stopRequest.signal);
    }
    await this.shutdown(SHUTDOWN_GRACE_MS);
  }

  /** First call: graceful shutdown. A second call (a second Ctrl-C) cuts running traces off at once. */
  stop(): void {
    if (this.stopping) {
      this.abort.abort();
      return;
    }
    this.stopping = true;
    this.deps.log.info('shutting-down', {
      running: this.queue.runningCount,
      queued: this.queue.queuedCount,
      unacked: this.delivery.inFlightCount,
    });
    this.stopRequest.abort();
  }

  private connect(): Session {
    const { config, log } = this.deps;
    log.info('connecting', { server: config.serverUrl, pending: this.delivery.pendingCount });
    const session = new Session({
      url: config.serverUrl,
      token: config.token,
      ca: config.ca,
      log,
      hello: () => this.hello(),
      onWelcome: (w) => this.welcomed(session, w),
      onTask: (t) => this.received(t),
      onAck: (a) => void this.delivery.ack(a),
      onSlowDown: (m) => this.delivery.slowDown(m.retryAfterMs, m.reason),
    });
    this.session = session;
    return session;
  }

  private hello(): HelloMessage {
    const { config, engines } = this.deps;
    return {
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: AGENT_VERSION,
      engines,
      location: config.location,
      limits: config.limits,
      pending: this.delivery.pendingCount,
    };
  }

  private welcomed(session: Session, w: WelcomeMessage): void {
    this.deps.log.info('connected', {
      agentId: w.agentId,
      name: w.name,
      heartbeatMs: w.heartbeatMs,
      pending: this.delivery.pendingCount,
    });
    this.delivery.attach((text) => session.send(text));
  }

  private disconnected(end: SessionEnd): void {
    this.session = null;
    this.delivery.detach();
    if (end.kind === 'lost') this.deps.log.warn('disconnected', { reason: end.reason });
  }

  private received(task: TaskMessage): void {
    const { log, probe } = this.deps;
    if (this.stopping) {
      this.taskFailed(task, 'SHUTTING_DOWN', 'the agent is shutting down');
      return;
    }
    try {
      probe.check(task.target);
    } catch (err) {
      log.warn('task-refused', { taskId: task.taskId, target: task.target, reason: describeError(err) });
      this.taskFailed(task, 'TARGET_REFUSED', err instanceof Error ? err.message : String(err));
      return;
    }
    log.info('task-received', {
      taskId: task.taskId,
      target: task.target,
      running: this.queue.runningCount,
      queued: this.queue.queuedCount,
    });
    const accepted = this.queue.submit({ payload: task, run: () => this.execute(task) });
    if (accepted !== 'accepted') {
      log.warn('task-refused', { taskId: task.taskId, target: task.target, reason: accepted });
      this.taskFailed(
        task,
        'BUSY',
        `the agent's queue is full (limits: ${JSON.stringify(this.deps.config.limits)})`,
      );
    }
  }

  /** One task: trace, make the result durable, then hand it to delivery. Never throws. */
  private async execute(task: TaskMessage): Promise<void> {
    const { log, probe } = this.deps;
    log.info('task-started', { taskId: task.taskId, target: task.target });
    let trace: Awaited<ReturnType<Probe['trace']>>;
    try {
      trace = await probe.trace(task.target, this.abort.signal);
    } catch (err) {
      const code = this.abort.signal.aborted ? 'SHUTTING_DOWN' : failureCode(err);
      log.warn('task-failed', { taskId: task.taskId, target: task.target, code, reason: describeError(err) });
      this.taskFailed(task, code, err instanceof Error ? err.message : String(err));
      return;
    }
    const result: ResultMessage = {
      type: 'result',
      resultId: newResultId(),
      taskId: task.taskId,
      target: task.target,
      engine: trace.engine,
      method: trace.method,
      output: trace.output,
      startedAt: trace.startedAt,
      durationMs: trace.durationMs,
    };
    try {
      const entry = await this.outbox.put(result);
      log.info('task-finished', {
        taskId: task.taskId,
        resultId: result.resultId,
        engine: trace.engine,
        ms: trace.durationMs,
      });
      this.delivery.add(entry);
    } catch (err) {
      const code = failureCode(err) === 'RESULT_TOO_LARGE' ? 'RESULT_TOO_LARGE' : 'STORE_FAILED';
      log.error('task-failed', { taskId: task.taskId, code, reason: describeError(err) });
      this.taskFailed(task, code, err instanceof Error ? err.message : String(err));
    }
  }

  private taskFailed(task: TaskMessage, code: TaskFailureCode, message: string): void {
    const msg: TaskFailedMessage = {
      type: 'task-failed',
      taskId: task.taskId,
      code,
      message: message.slice(0, 2000),
    };
    if (!this.session?.send(JSON.stringify(msg))) {
      // The coordinator notices the task went unanswered when this connection is gone; nothing to keep.
      this.deps.log.warn('send-dropped', { taskId: task.taskId, code, why: 'not connected' });
    }
  }

  /**
   * Stops taking tasks, gives running traces and undelivered results `graceMs` to finish (finished ones
   * are in the outbox either way), cancels what is left and closes the connection with 1000.
   */
  private async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const task of this.queue.close())
      this.taskFailed(task, 'SHUTTING_DOWN', 'the agent is shutting down');
    const session = this.session;
    const drained = (async () => {
      await this.queue.idle();
      // Acks can only come while the connection lasts.
      if (session) await Promise.race([this.delivery.drained(), session.ended]);
    })();
    await unlessAborted(Promise.race([drained, delay(graceMs, this.abort.signal)]), this.abort.signal);
    this.abort.abort();
    await this.queue.idle();
    await this.session?.close();
    this.session = null;
    this.delivery.detach();
    this.deps.log.info('stopped', { pending: this.delivery.pendingCount, outbox: this.outbox.dir });
  }
}
