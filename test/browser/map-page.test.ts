/**
 * The analysts' map in Debian Chromium, against a real coordinator whose store was filled by an agent through
 * the real ingest path (see helpers/map-coordinator.ts). Expected countries come from the test world's
 * databases (helpers/map-world.ts), never from the code under test.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetourPage } from '../../protocol/map-api.ts';
import type {} from '../../web/src/page-handle.ts';
import { HAVE_CHROMIUM, launchChromium } from './helpers/chromium.ts';
import { type MapAgent, type MapCoordinator, startMapCoordinator } from './helpers/map-coordinator.ts';
import {
  COUNTRY_OF,
  HOSTILE_AGENT,
  HOSTILE_NAME,
  HOSTILE_ORG,
  NEW_YORK,
  NEW_YORK_VIA_FRANKFURT,
  PLACE,
  ROUTER,
  SAN_JOSE,
  SAN_JOSE_TO_LA,
  SAN_JOSE_VIA_JAPAN,
  sanJoseViaChina,
} from './helpers/map-world.ts';
import { ensureWebBuilt, REPO_ROOT } from './helpers/web-build.ts';

const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const now = () => Math.floor(Date.now() / 1000);

/** Polyline parts on the paths' canvas, read from Leaflet's own layers. */
async function drawnParts(page: Page): Promise<number> {
  return page.evaluate(() => {
    let parts = 0;
    window.detourwatch?.map.eachLayer((layer) => {
      const l = layer as unknown as { options?: { className?: string }; partCount?: () => number };
      if (l.options?.className === 'dw-paths' && l.partCount) parts += l.partCount();
    });
    return parts;
  });
}

async function openMap(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
}

const rowIds = (page: Page) =>
  page.locator('#list .row').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.id)));

describe.skipIf(!HAVE_CHROMIUM)('analysts map in Chromium, over a real coordinator', () => {
  let browser: Browser;
  let world: MapCoordinator;
  let sanJose: MapAgent;
  /** The detours the coordinator stored, by what the agent traced. */
  const ids = { china: 0, frankfurt: 0, japan: 0 };
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await ensureWebBuilt();
    world = await startMapCoordinator();
    sanJose = await world.agent('San Jose volunteer', SAN_JOSE);
    const newYork = await world.agent('NYC volunteer', NEW_YORK);
    const hostile = await world.agent(HOSTILE_AGENT, SAN_JOSE);
    await sanJose.send([
      { output: sanJoseViaChina(now() - 3600), engine: 'scamper', target: ROUTER.washington },
      { output: SAN_JOSE_TO_LA, engine: 'traceroute', target: ROUTER.losAngeles },
    ]);
    await newYork.send([
      { output: NEW_YORK_VIA_FRANKFURT, engine: 'traceroute', target: 'chicago.example.com' },
    ]);
    await hostile.send([{ output: SAN_JOSE_VIA_JAPAN, engine: 'traceroute', target: ROUTER.newYork }]);
    const page = (await (await fetch(`${world.url}/api/v1/map/detours`)).json()) as DetourPage;
    for (const d of page.items) {
      if (d.countries.includes('CN')) ids.china = d.id;
      if (d.countries.includes('DE')) ids.frankfurt = d.id;
      if (d.countries.includes('JP')) ids.japan = d.id;
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  async function newPage(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return page;
  }

  it('stored the three detours the agents traced (and not the domestic path)', () => {
    expect(Object.values(ids).every((id) => id > 0)).toBe(true);
  });

  it('serves the page with a Content-Security-Policy that forbids inline script', async () => {
    const res = await fetch(`${world.url}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/unsafe-inline/);
  });

  it('draws every detour and lists them with counts', async () => {
    const page = await newPage();
    await openMap(page, world.url);
    expect(await page.evaluate(() => window.detourwatch?.stats().paths)).toBe(3);
    expect(await drawnParts(page)).toBeGreaterThanOrEqual(3);
    expect((await rowIds(page)).sort()).toEqual(Object.values(ids).sort());
    expect(await page.locator('#counts').textContent()).toMatch(
      /^3 detour traces on 3 routes · 1 confirmed · 2 probable/,
    );
    await page.close();
  });

  it('opens the hop table of the path clicked on the map, with its countries', async () => {
    const page = await newPage();
    await openMap(page, world.url);
    // The middle of the Hangzhou -> Shanghai leg: only the China path goes there. It is drawn across the
    // Pacific (one world west) and again over Asia; click whichever copy is in view.
    const mid = {
      lat: (PLACE.hangzhou.lat + PLACE.shanghai.lat) / 2,
      lon: (PLACE.hangzhou.lon + PLACE.shanghai.lon) / 2,
    };
    const point = await page.evaluate(({ lat, lon }) => {
      const map = window.detourwatch?.map;
      if (!map) return null;
      const size = map.getSize();
      for (const shift of [-360, 0]) {
        const p = map.latLngToContainerPoint([lat, lon + shift]);
        if (p.x > 0 && p.x < size.x && p.y > 0 && p.y < size.y) return { x: p.x, y: p.y };
      }
      return null;
    }, mid);
    expect(point).not.toBeNull();
    const box = await page.locator('#map').boundingBox();
    await page.mouse.click((box?.x ?? 0) + (point?.x ?? 0), (box?.y ?? 0) + (point?.y ?? 0));
    await page.waitForSelector('#detail:not([hidden]) table.hops');
    expect(new URL(page.url()).searchParams.get('path')).toBe(String(ids.china));

    const rows = await page.locator('#detail tr.hop').evaluateAll((els) =>
      els.map((e) => ({
        ip: e.querySelector('td:nth-child(2) .mono')?.textContent ?? '',
        location: e.querySelector('td.hop-location')?.textContent ?? '',
        verdict: e.querySelector('.status')?.textContent ?? '',
      })),
    );
    const located = rows.filter((r) => COUNTRY_OF[r.ip] !== undefined);
    expect(located.map((r) => r.ip)).toEqual([
      ROUTER.sanJose,
      ROUTER.hangzhou,
      ROUTER.shanghai,
      ROUTER.washington,
    ]);
    for (const r of located) expect(r.location).toContain(COUNTRY_OF[r.ip]);
    expect(rows.filter((r) => r.verdict === 'abroad, confirmed').map((r) => r.ip)).toEqual([
      ROUTER.hangzhou,
      ROUTER.shanghai,
    ]);
    expect(await page.locator('#detail .facts').textContent()).toContain('San Jose volunteer');
    await page.close();
  });

  it('narrows the list with a filter, keeps it in the URL, and restores it from a link', async () => {
    const page = await newPage();
    await openMap(page, world.url);
    await page.fill('input[name="country"]', 'DE');
    await expect.poll(() => rowIds(page)).toEqual([ids.frankfurt]);
    expect(await page.evaluate(() => window.detourwatch?.stats().paths)).toBe(1);
    expect(await page.locator('#counts').textContent()).toMatch(/^1 detour trace on 1 route/);
    const link = page.url();
    expect(new URL(link).searchParams.get('country')).toBe('DE');

    const shared = await newPage();
    await openMap(shared, link);
    expect(await shared.inputValue('input[name="country"]')).toBe('DE');
    expect(await rowIds(shared)).toEqual([ids.frankfurt]);
    await shared.close();
    await page.close();
  });

  it('shows a detour that arrives live, without reloading', async () => {
    const page = await newPage();
    await openMap(page, world.url);
    await page.waitForSelector('#live.live.live');
    const before = await rowIds(page);
    await sanJose.send([{ output: sanJoseViaChina(now()), engine: 'scamper', target: ROUTER.washington }]);
    await expect.poll(() => rowIds(page), { timeout: 10_000 }).toHaveLength(before.length + 1);
    const fresh = (await rowIds(page)).find((id) => !before.includes(id));
    expect(await page.locator(`#list .row[data-id="${fresh}"]`).getAttribute('class')).toContain('new');
    expect(await page.evaluate(() => window.detourwatch?.stats().paths)).toBe(before.length + 1);
    expect(await page.locator('#counts').textContent()).toContain(`${before.length + 1} detour traces`);
    await page.close();
  });

  it('keeps hostile names as text in the list, the hop table and the tooltips', async () => {
    const page = await newPage();
    await openMap(page, `${world.url}/?path=${ids.japan}`);
    await page.waitForSelector('#detail:not([hidden]) table.hops');
    expect(await page.locator('#detail .hop-org').allTextContents()).toContain(HOSTILE_ORG);
    expect(await page.locator('#detail .hop-name').allTextContents()).toContain(HOSTILE_NAME);
    expect(await page.locator('#detail .facts').textContent()).toContain(HOSTILE_AGENT);

    // The Japan hop's marker on the map: its tooltip shows the same text, as text.
    const marker = await page.evaluate(({ lat, lon }) => {
      const map = window.detourwatch?.map;
      if (!map) return null;
      const size = map.getSize();
      for (const shift of [-360, 0]) {
        const p = map.latLngToContainerPoint([lat, lon + shift]);
        if (p.x > 0 && p.x < size.x && p.y > 0 && p.y < size.y) return { x: p.x, y: p.y };
      }
      return null;
    }, PLACE.japan);
    const box = await page.locator('#map').boundingBox();
    await page.mouse.move((box?.x ?? 0) + (marker?.x ?? 0), (box?.y ?? 0) + (marker?.y ?? 0));
    const tooltip = page.locator('.leaflet-tooltip');
    await tooltip.waitFor();
    expect(await tooltip.textContent()).toContain(HOSTILE_NAME);
    expect(await tooltip.textContent()).toContain(HOSTILE_ORG);

    await page.click('#detail .back');
    await page.waitForSelector(`#list .row[data-id="${ids.japan}"]`);
    expect(await page.locator(`#list .row[data-id="${ids.japan}"] .agent`).textContent()).toBe(HOSTILE_AGENT);
    expect(await page.locator('#panel img, #panel b, .leaflet-tooltip img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.close();
  });

  it('shows refuted claims on request and remembers the choice in the URL', async () => {
    const page = await newPage();
    await openMap(page, world.url);
    expect(await page.evaluate(() => window.detourwatch?.stats().claimMarkers)).toBeGreaterThan(0);
    const shown = () =>
      page.evaluate(() => {
        let n = 0;
        window.detourwatch?.map.eachLayer((l) => {
          if ((l as unknown as { options?: { dashArray?: string } }).options?.dashArray === '2 3') n++;
        });
        return n;
      });
    expect(await shown()).toBe(0);
    await page.check('#dw-show-refuted');
    await expect.poll(shown).toBeGreaterThan(0);
    expect(new URL(page.url()).searchParams.get('refuted')).toBe('1');
    await page.close();
  });

  it('saves a screenshot with a confirmed and a probable detour and the detail panel open', async () => {
    const page = await newPage();
    await openMap(page, `${world.url}/?path=${ids.china}&refuted=1`);
    await page.waitForSelector('#detail:not([hidden]) table.hops');
    // Zoomed out from the selected path so the probable detour to Europe is in the picture too.
    await page.evaluate(() => {
      window.detourwatch?.map.fitBounds(
        [
          [12, -245],
          [58, 15],
        ],
        { animate: false },
      );
    });
    await page.waitForTimeout(300);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, 'map.png');
    await page.screenshot({ path: file });
    expect(fs.statSync(file).size).toBeGreaterThan(20_000);
    await page.close();
  });

  it('raised no page errors and no Content-Security-Policy violations', () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
