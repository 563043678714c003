import WebSocket from 'ws';
import { describeError } from '../protocol/errors.ts';
import type {
  AckMessage,
  HelloMessage,
  SlowDownMessage,
  TaskMessage,
  WelcomeMessage,
} from '../protocol/messages.ts';
import { CloseCode, MAX_MESSAGE_BYTES, parseCoordinatorMessage } from '../protocol/messages.ts';
import type { Logger } from './log.ts';

/** How one connection ended, which decides what the agent does next. */
export type SessionEnd =
  /** The coordinator will not take this agent as it is: retrying cannot help, a human must act. */
  | {
      kind: 'refused';
      code: 'AUTH_FAILED' | 'VERSION_INCOMPATIBLE' | 'LOCATION_IMPOSSIBLE' | 'TLS_UNTRUSTED';
      reason: string;
    }
  /** Another live connection holds this token (4009): asking again soon would be refused again. */
  | { kind: 'already-connected'; reason: string }
  /** Something else answered at this URL (a web server, a proxy's page): a person must fix --server. */
  | { kind: 'not-coordinator'; reason: string }
  /** Anything else: reconnect after backoff. `connectedForMs` is null when no welcome arrived. */
  | { kind: 'lost'; reason: string; connectedForMs: number | null }
  /** The agent closed it (shutdown). */
  | { kind: 'closed' };

export interface SessionOptions {
  url: string;
  token: string;
  /** `--ca FILE`: the PEM of a private CA the coordinator's certificate must chain to (wss:// only). */
  ca?: Buffer | null;
  /** Built when the socket opens, so `pending` is current. */
  hello: () => HelloMessage;
  log: Logger;
  onWelcome: (welcome: WelcomeMessage) => void;
  onTask: (task: TaskMessage) => void;
  onAck: (ack: AckMessage) => void;
  /** The coordinator cannot take results now: send none for a while (they stay in the outbox). */
  onSlowDown?: (message: SlowDownMessage) => void;
}

/** What Node's TLS says when a certificate does not verify: the agent names the remedy (--ca). */
const TLS_TRUST_ERRORS = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Upgrade plus welcome must complete within this. */
const HANDSHAKE_TIMEOUT_MS = 15_000;
/** A clean close that gets no answer is cut off after this. */
const CLOSE_TIMEOUT_MS = 3_000;
/** Silence for this many heartbeat intervals means the connection is dead even if TCP has not noticed. */
export const SILENT_INTERVALS = 3;

/**
 * Whether a refused upgrade came from a coordinator: its hub refuses with a 4xx/5xx status and a plain-text
 * reason (server/hub/hub.ts). A success or redirect status, an HTML page or a JSON body is something else.
 */
export function isCoordinatorRefusal(status: number, contentType: string | undefined): boolean {
  return status >= 400 && status < 600 && /^text\/plain\b/i.test(contentType ?? '');
}

/** The URL as a person would open it in a browser (ws -> http), for messages. */
function httpForm(url: string): string {
  return url.replace(/^ws(s?):/i, 'http$1:');
}

/**
 * One WebSocket connection to the coordinator, from upgrade to close: authenticates, says hello, waits for
 * welcome, dispatches validated messages, pings and watches for silence. It never reconnects itself;
 * `ended` tells the caller how it finished.
 */
export class Session {
  readonly ended: Promise<SessionEnd>;
  private readonly ws: WebSocket;
  private finish!: (end: SessionEnd) => void;
  private done = false;
  private welcomedAt: number | null = null;
  private lastHeard = Date.now();
  private handshakeTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /** Set when the agent itself ends the connection, so the close event reports the agent's reason. */
  private endOverride: SessionEnd | null = null;
  private lastError: string | null = null;
  /** The coordinator explains a refusal in an `error` message; the close reason is cut to 123 bytes. */
  private lastCoordinatorError: { code: string; message: string } | null = null;
  private invalidMessages = 0;

  constructor(private readonly opts: SessionOptions) {
    this.ended = new Promise((resolve) => {
      this.finish = resolve;
    });
    this.ws = new WebSocket(opts.url, {
      headers: { Authorization: `Bearer ${opts.token}` },
      maxPayload: MAX_MESSAGE_BYTES,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      perMessageDeflate: false,
      followRedirects: false,
      // Certificates are always verified; --ca adds a private CA to (instead of) the system's.
      ...(opts.ca ? { ca: opts.ca } : {}),
    });
    this.handshakeTimer = setTimeout(() => {
      this.abandon({
        kind: 'lost',
        reason: `no welcome within ${HANDSHAKE_TIMEOUT_MS} ms`,
        connectedForMs: null,
      });
    }, HANDSHAKE_TIMEOUT_MS);
    this.ws.on('open', () => {
      this.lastHeard = Date.now();
      this.sendRaw(JSON.stringify(opts.hello()));
    });
    this.ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    this.ws.on('ping', () => {
      this.lastHeard = Date.now();
    });
    this.ws.on('pong', () => {
      this.lastHeard = Date.now();
    });
    this.ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      const plain = isCoordinatorRefusal(status, res.headers['content-type']);
      // Whatever answered is not a coordinator: its body (an HTML page) is never read into the log. A 401
      // or 403 still means the token is refused, whoever says so (a proxy in front of the coordinator).
      if (!plain && status !== 401 && status !== 403) {
        this.endOverride = {
          kind: 'not-coordinator',
          reason: `this is not a detourwatch coordinator: HTTP ${status} from ${httpForm(opts.url)}`,
        };
        res.destroy();
        this.ws.terminate();
        return;
      }
      // The coordinator refused the upgrade itself (e.g. 401 before a socket exists): read its reason.
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (plain && body.length < 500) body += chunk;
      });
      const settle = () => {
        const reason = `HTTP ${status}${body.trim() ? `: ${body.trim().slice(0, 500)}` : ''}`;
        this.endOverride =
          status === 401 || status === 403
            ? { kind: 'refused', code: 'AUTH_FAILED', reason }
            : { kind: 'lost', reason, connectedForMs: null };
        this.ws.terminate();
      };
      res.on('end', settle);
      res.on('error', settle);
    });
    this.ws.on('error', (err: Error & { code?: string }) => {
      this.lastError = describeError(err);
      // An untrusted certificate stays untrusted until a person gives --ca (or fixes the server's): a refusal.
      if (TLS_TRUST_ERRORS.has(err.code ?? '')) {
        this.endOverride = {
          kind: 'refused',
          code: 'TLS_UNTRUSTED',
          reason:
            `the coordinator's certificate is not trusted (${err.code}: ${err.message}); ` +
            'for a private CA start the agent with --ca FILE',
        };
      }
    });
    this.ws.on('close', (code, reasonBuffer) => this.closed(code, reasonBuffer.toString('utf8')));
  }

  get welcomed(): boolean {
    return this.welcomedAt !== null;
  }

  /** Sends a frame if the connection is open; false when it is not (the caller decides what that means). */
  send(text: string): boolean {
    if (!this.welcomed) return false;
    return this.sendRaw(text);
  }

  /** Clean close (1000); cut off if the coordinator does not answer in time. */
  async close(): Promise<void> {
    if (this.done) return;
    this.endOverride = { kind: 'closed' };
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close(1000, 'agent shutting down');
    const cutoff = setTimeout(() => this.ws.terminate(), CLOSE_TIMEOUT_MS);
    await this.ended;
    clearTimeout(cutoff);
  }

  private sendRaw(text: string): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(text, (err) => {
      if (err) this.lastError = describeError(err);
    });
    return true;
  }

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    this.lastHeard = Date.now();
    let msg: ReturnType<typeof parseCoordinatorMessage>;
    try {
      if (isBinary) throw new Error('binary frame (the protocol uses JSON text frames)');
      msg = parseCoordinatorMessage(data.toString());
    } catch (err) {
      this.invalidMessages++;
      this.opts.log.warn('message-invalid', { error: describeError(err), count: this.invalidMessages });
      return;
    }
    if (msg.type === 'welcome') {
      if (this.welcomedAt !== null) return;
      this.welcomedAt = Date.now();
      if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
      this.startHeartbeat(msg.heartbeatMs);
      this.opts.onWelcome(msg);
      return;
    }
    if (msg.type === 'error') {
      this.lastCoordinatorError = { code: msg.code, message: msg.message };
      // The 4009 close that follows is reported in one line of its own (agent.ts): not twice.
      if (msg.code !== 'ALREADY_CONNECTED') {
        this.opts.log.warn('coordinator-error', { code: msg.code, message: msg.message });
      }
      return;
    }
    if (this.welcomedAt === null) {
      this.opts.log.warn('message-invalid', { error: `"${msg.type}" before welcome, ignored` });
      return;
    }
    if (msg.type === 'task') this.opts.onTask(msg);
    else if (msg.type === 'slow-down') this.opts.onSlowDown?.(msg);
    else this.opts.onAck(msg);
  }

  /** The coordinator pings too, but the agent checks on its own: a half-open TCP path drops no frames. */
  private startHeartbeat(intervalMs: number): void {
    this.heartbeatTimer = setInterval(() => {
      const silentMs = Date.now() - this.lastHeard;
      if (silentMs > SILENT_INTERVALS * intervalMs) {
        this.opts.log.warn('heartbeat-silence', { silentMs, heartbeatMs: intervalMs });
        this.abandon({
          kind: 'lost',
          reason: `coordinator silent for ${silentMs} ms`,
          connectedForMs: this.connectedForMs(),
        });
        return;
      }
      if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
    }, intervalMs);
  }

  private connectedForMs(): number | null {
    return this.welcomedAt === null ? null : Date.now() - this.welcomedAt;
  }

  private abandon(end: SessionEnd): void {
    if (this.done || this.endOverride) return;
    this.endOverride = end;
    this.ws.terminate();
  }

  private closed(code: number, reason: string): void {
    if (this.done) return;
    this.done = true;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.finish(this.endOverride ?? this.classify(code, reason));
  }

  private classify(code: number, reason: string): SessionEnd {
    // Prefer the error message that explained this very refusal, when there was one.
    const explained = (errorCode: string) =>
      this.lastCoordinatorError?.code === errorCode ? this.lastCoordinatorError.message : reason;
    if (code === CloseCode.authFailed)
      return { kind: 'refused', code: 'AUTH_FAILED', reason: explained('AUTH_FAILED') };
    // An operator's API key is not an agent's token: the same remedy (ask for an agent token).
    if (code === CloseCode.wrongRole)
      return { kind: 'refused', code: 'AUTH_FAILED', reason: explained('FORBIDDEN') };
    if (code === CloseCode.locationImpossible) {
      return { kind: 'refused', code: 'LOCATION_IMPOSSIBLE', reason: explained('LOCATION_IMPOSSIBLE') };
    }
    if (code === CloseCode.versionIncompatible) {
      return { kind: 'refused', code: 'VERSION_INCOMPATIBLE', reason: explained('VERSION_INCOMPATIBLE') };
    }
    if (code === CloseCode.alreadyConnected) {
      return { kind: 'already-connected', reason: explained('ALREADY_CONNECTED') || 'already connected' };
    }
    if (code === CloseCode.replaced) {
      // The coordinator pinged this connection for a newer one with the token and got no answer in time.
      const why = 'another connection with this token replaced this one, which did not answer a ping in time';
      return { kind: 'lost', reason: `close ${code}: ${why}`, connectedForMs: this.connectedForMs() };
    }
    const detail = reason || this.lastError || 'no reason given';
    return { kind: 'lost', reason: `close ${code}: ${detail}`, connectedForMs: this.connectedForMs() };
  }
}
