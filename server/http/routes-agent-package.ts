/**
 * The volunteers' door: `GET /agent/` explains how to join with the exact command for this coordinator, and
 * `GET /agent/detourwatch-agent.tgz` serves the agent package that `npm run build:agent` packed (agent/dist).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { html } from 'hono/html';
import { AGENT_PAGE_PATH, AGENT_TARBALL_NAME, AGENT_TARBALL_PATH } from '../../protocol/agent-package.ts';
import { DetourwatchError } from '../../protocol/errors.ts';
import { AGENT_VERSION } from '../../protocol/version.ts';

/** Where `npm run build:agent` puts the package (a path, not an import: server/ never imports agent/). */
export const DEFAULT_AGENT_TARBALL = fileURLToPath(
  new URL(`../../agent/dist/${AGENT_TARBALL_NAME}`, import.meta.url),
);

export interface AgentPackageOptions {
  /** The packed agent (default agent/dist/detourwatch-agent.tgz); read on request, so a rebuild shows at once. */
  tarball?: string;
  /**
   * How volunteers reach this coordinator, e.g. `https://detourwatch.example.org` behind a proxy. Null: the
   * request's own Host header, accepted only when it is a plain host name or address with an optional port.
   */
  publicUrl: string | null;
}

/** The coordinator's origin as volunteers see it: http(s)://host[:port][/prefix], without a trailing slash. */
interface Origin {
  http: string;
  ws: string;
}

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A DNS name or IPv4 address, or a bracketed IPv6 address, then an optional port: nothing else gets through. */
const HOST_HEADER = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]{2,45}\\])(?::(\\d{1,5}))?$`);

/** The origin a Host header names, or null when it is not a plain host[:port] (a hostile header stops here). */
export function originFromHost(host: string | undefined, secure: boolean): Origin | null {
  if (host === undefined || host.length > 260) return null;
  const match = HOST_HEADER.exec(host);
  if (!match || (match[1] !== undefined && Number(match[1]) > 65535)) return null;
  try {
    // The URL parser has the last word (it refuses `[::g]`); the text is used only as it normalised it.
    const url = new URL(`${secure ? 'https' : 'http'}://${host}`);
    return originFromUrl(url);
  } catch {
    return null;
  }
}

function originFromUrl(url: URL): Origin {
  const http = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  return { http, ws: http.replace(/^http/, 'ws') };
}

/** Checks the operator's public URL once, when the routes are built. */
export function parsePublicUrl(text: string): Origin {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DetourwatchError('CONFIG_INVALID', `the public URL "${text}" is not a URL`);
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.username ||
    url.password ||
    url.search ||
    url.hash
  )
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `the public URL "${text}" must be http(s)://host[:port][/path] without credentials, query or fragment`,
    );
  return originFromUrl(url);
}

/** Words the shell takes literally stay bare; anything else (IPv6 brackets glob) goes in single quotes. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_.:/@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The volunteer's command for this coordinator; the token stays in the environment, out of `ps`. */
export function joinCommand(origin: Origin): string {
  const words = [
    'npx',
    '--yes',
    shellWord(`${origin.http}${AGENT_TARBALL_PATH}`),
    '--server',
    shellWord(origin.ws),
    '--location',
    'LAT,LON',
  ];
  return `export DETOURWATCH_TOKEN=dwt_...\n${words.join(' ')}`;
}

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em;color:#222}' +
  'pre{background:#f4f4f4;padding:.8em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}' +
  '.warn{background:#fff3cd;padding:.6em .8em}code{background:#f4f4f4;padding:0 .2em}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');
/** Nothing but the one inline style above may load: no script, no image, no frame, no form target. */
const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${STYLE_HASH}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The instructions; every interpolated value is HTML-escaped by `html`. */
function agentPage(origin: Origin | null, built: boolean) {
  const unknownHost = origin === null;
  const shown = origin ?? { http: 'http://COORDINATOR:8080', ws: 'ws://COORDINATOR:8080' };
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Join detourwatch: run an agent</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Run a detourwatch agent</h1>
<p>An agent traceroutes US targets for this coordinator, which puts every hop on the map and decides whether
the path left the country. It connects out (nothing listens on your machine) and keeps unsent results on disk.</p>
${built ? '' : html`<p class="warn">The agent package is not built on this coordinator yet: its operator runs <code>npm run build:agent</code>.</p>`}
<h2>You need</h2>
<ul>
<li>Node.js 20 or later with npm;</li>
<li>one traceroute tool: <code>scamper</code> (preferred), <code>mtr-tiny</code> or <code>traceroute</code>
(Debian: <code>sudo apt-get install scamper mtr-tiny traceroute</code>);</li>
<li>a token from this coordinator's operator (they run <code>detourwatch token create --name NAME</code>).</li>
</ul>
<h2>Run</h2>
<p>Put your token in place of <code>dwt_...</code> and where this machine is (decimal degrees, e.g.
<code>47.61,-122.33</code>) in place of <code>LAT,LON</code>: every speed-of-light test measures from it.</p>
<pre>${joinCommand(shown)}</pre>
${unknownHost ? html`<p class="warn">This page could not tell this coordinator's address from your request: replace <code>COORDINATOR:8080</code> with it.</p>` : ''}
<p>Agent ${AGENT_VERSION}: <a href="${AGENT_TARBALL_NAME}">${AGENT_TARBALL_NAME}</a> (one JavaScript file and
<code>ws</code>; no native modules). Its <code>README.md</code> explains the options, the outbox, and the systemd
unit it ships (<code>systemd/detourwatch-agent.service</code>: an unprivileged user with only
<code>CAP_NET_RAW</code>) for running it as a service.</p>
</body>
</html>
`;
}

interface Packed {
  mtimeMs: number;
  size: number;
  body: Buffer;
  etag: string;
}

/** The page at /agent/ and the package at /agent/detourwatch-agent.tgz; mount inside answerErrors. */
export function agentPackageRoutes(options: AgentPackageOptions): Hono {
  const tarball = options.tarball ?? DEFAULT_AGENT_TARBALL;
  const configured = options.publicUrl === null ? null : parsePublicUrl(options.publicUrl);
  let cached: Packed | null = null;

  /** The tarball as it is on disk now, or null when it was never built; unchanged files are not re-read. */
  async function readPacked(): Promise<Packed | null> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(tarball, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      const stat = await handle.stat();
      if (cached?.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached;
      const body = await handle.readFile();
      const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
      cached = { mtimeMs: stat.mtimeMs, size: body.length, body, etag };
      return cached;
    } finally {
      await handle.close();
    }
  }

  const app = new Hono();
  // Relative, so that it also holds behind a proxy that serves the coordinator under a path.
  app.get('/agent', (c) => c.redirect('agent/', 301));
  app.get(AGENT_PAGE_PATH, async (c) => {
    const secure = new URL(c.req.url).protocol === 'https:';
    const origin = configured ?? originFromHost(c.req.header('host'), secure);
    const built = (await readPacked()) !== null;
    c.header('Content-Security-Policy', PAGE_CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    // The command depends on the Host header: no cache may hand it to someone who asked another host.
    c.header('Cache-Control', 'no-store');
    c.header('Vary', 'Host');
    return c.html(agentPage(origin, built));
  });
  app.get(AGENT_TARBALL_PATH, async (c) => {
    const packed = await readPacked();
    // Answered as a coded JSON 404 by the app's error boundary (error-response.ts).
    if (!packed)
      throw new DetourwatchError(
        'NOT_FOUND',
        'the agent package is not built on this coordinator: run `npm run build:agent` in its directory',
      );
    c.header('ETag', packed.etag);
    c.header('Cache-Control', 'no-cache');
    c.header('X-Content-Type-Options', 'nosniff');
    if (
      c.req
        .header('if-none-match')
        ?.split(/\s*,\s*/)
        .includes(packed.etag)
    )
      return c.body(null, 304);
    c.header('Content-Type', 'application/gzip');
    c.header('Content-Length', String(packed.size));
    c.header('Content-Disposition', `attachment; filename="${AGENT_TARBALL_NAME}"`);
    return c.body(new Uint8Array(packed.body));
  });
  return app;
}
