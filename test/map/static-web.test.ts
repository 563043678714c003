import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tileOrigin } from '../../server/config/tile-url.ts';
import { contentSecurityPolicy, staticWebRoutes } from '../../server/http/static-web.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-static-'));
fs.mkdirSync(path.join(root, 'assets'));
fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>map</title>');
fs.writeFileSync(path.join(root, 'assets', 'index-abc123.js'), 'console.log(1)');

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('tileOrigin', () => {
  it.each([
    ['https://tile.openstreetmap.org/{z}/{x}/{y}.png', 'https://tile.openstreetmap.org'],
    ['https://{s}.tile.example.org/{z}/{x}/{y}.png', 'https://*.tile.example.org'],
    ['http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png', 'http://127.0.0.1:8080'],
  ])('%s may serve images from %s', (url, origin) => {
    expect(tileOrigin(url)).toBe(origin);
  });

  it.each([
    ['https://tile.example.org/{z}/{x}.png', /lacks \{y\}/],
    ['ftp://tile.example.org/{z}/{x}/{y}.png', /not an http/],
    ["https://a.example.org;script-src 'unsafe-inline'/{z}/{x}/{y}", /host/],
    ['https://{z}.example.org/{z}/{x}/{y}.png', /host/],
  ])('refuses %s with a message saying why', (url, why) => {
    expect(() => tileOrigin(url)).toThrow(why);
  });
});

describe('contentSecurityPolicy', () => {
  it('allows only the page itself by default, and no inline code', () => {
    const csp = contentSecurityPolicy(null);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("img-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe|data:|\*/);
  });

  it("adds the operator's tile origin to images only", () => {
    const csp = contentSecurityPolicy('https://{s}.tile.example.org/{z}/{x}/{y}.png');
    expect(csp).toContain("img-src 'self' https://*.tile.example.org");
    expect(csp.match(/tile\.example\.org/g)).toHaveLength(1);
  });
});

describe('staticWebRoutes', () => {
  const app = staticWebRoutes({ root, tileUrl: null });

  it('serves the page at / with the policy and no caching', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>map</title>');
    expect(res.headers.get('content-security-policy')).toBe(contentSecurityPolicy(null));
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves fingerprinted assets for a year', async () => {
    const res = await app.request('/assets/index-abc123.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/immutable/);
  });

  it('does not serve files outside assets/', async () => {
    for (const p of ['/assets/%2e%2e/index.html', '/assets/..%2findex.html', '/etc/passwd', '/index.html']) {
      expect((await app.request(p)).status, p).toBe(404);
    }
  });

  it('says how to build the page when it is missing', async () => {
    const empty = staticWebRoutes({ root: path.join(root, 'nowhere'), tileUrl: null });
    const res = await empty.request('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/npm run build:web/);
  });
});
