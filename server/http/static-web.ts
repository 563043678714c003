import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type MiddlewareHandler } from 'hono';
import { tileOrigin } from '../config/tile-url.ts';

/** Where `npm run build:web` puts the analysts' map. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));

/**
 * The page loads only its own script, style and data; images may also come from the operator's tiles.
 * No inline script or style is allowed, so an injected `<img onerror>` or `<script>` could not run even if
 * some text ever reached the page as markup.
 */
export function contentSecurityPolicy(tileUrl: string | null): string {
  const img = tileUrl ? `'self' ${tileOrigin(tileUrl)}` : "'self'";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${img}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface StaticWebOptions {
  /** The built page (web/dist). */
  root?: string;
  /** The operator's tile URL template, or null for the offline map. */
  tileUrl: string | null;
}

/** Serves the analysts' map at `/` and its fingerprinted assets under `/assets/`, with security headers. */
export function staticWebRoutes(options: StaticWebOptions): Hono {
  const root = options.root ?? DEFAULT_WEB_ROOT;
  const csp = contentSecurityPolicy(options.tileUrl);
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', csp);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
  });
  // File names carry a content hash: they never change, so browsers may keep them.
  app.use('/assets/*', async (c, next) => {
    await next();
    if (c.res.status === 200) c.header('Cache-Control', 'public, max-age=31536000, immutable');
  });
  // Created once the page exists, so a coordinator started before `npm run build:web` picks it up later.
  let files: { assets: MiddlewareHandler; index: MiddlewareHandler } | null = null;
  const built = () => {
    if (!files && existsSync(path.join(root, 'index.html'))) {
      files = { assets: serveStatic({ root }), index: serveStatic({ root, path: 'index.html' }) };
    }
    return files;
  };
  app.get('/assets/*', (c, next) => {
    const f = built();
    return f ? f.assets(c, next) : next();
  });
  app.get('/', async (c, next) => {
    const f = built();
    if (!f)
      return c.text(`The map page is not built (no ${root}/index.html): run \`npm run build:web\`.\n`, 503);
    c.header('Cache-Control', 'no-cache');
    return f.index(c, next);
  });
  return app;
}
