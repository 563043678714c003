/**
 * The map shows events (issue 14): the timeline brushed to one day shows only that day's paths, an incident
 * opened from the incidents view shows its traces, the agent filter takes names, routes carry their counts,
 * and an empty coordinator says how to connect the first agent. Everything comes through the real ingest
 * of a real coordinator (helpers/map-coordinator.ts); what to expect comes from what the test sent.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetourPage } from '../../protocol/map-api.ts';
import type {} from '../../web/src/page-handle.ts';
import { HAVE_CHROMIUM, launchChromium } from './helpers/chromium.ts';
import { type MapCoordinator, startMapCoordinator } from './helpers/map-coordinator.ts';
import {
  NEW_YORK,
  NEW_YORK_VIA_FRANKFURT,
  PLACE,
  ROUTER,
  SAN_JOSE,
  SAN_JOSE_VIA_JAPAN,
  sanJoseViaChina,
} from './helpers/map-world.ts';
import { ensureWebBuilt, REPO_ROOT } from './helpers/web-build.ts';

const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const DAY_S = 86_400;
const nowS = Math.floor(Date.now() / 1000);
/** 06:00 UTC of the day `daysAgo` days back: every trace of that day fits in it, in the past. */
const morningOf = (daysAgo: number): number =>
  Math.floor((nowS - daysAgo * DAY_S) / DAY_S) * DAY_S + 6 * 3600;
const dayIso = (sec: number): string => new Date(Math.floor(sec / DAY_S) * DAY_S * 1000).toISOString();

async function openMap(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
}

const rowIds = (page: Page) =>
  page
    .locator('#list .row')
    .evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.id)).sort((a, b) => a - b));
const stats = (page: Page) => page.evaluate(() => window.detourwatch?.stats());
const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

describe.skipIf(!HAVE_CHROMIUM)('the map shows events, in Chromium over a real coordinator', () => {
  let browser: Browser;
  let world: MapCoordinator;
  /** Stored detour ids by what was sent. */
  const ids = { chinaOld: [] as number[], chinaRecent: 0, japan: 0, frankfurt: 0 };
  const oldMorning = morningOf(5);
  const recentMorning = morningOf(2);
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await ensureWebBuilt();
    world = await startMapCoordinator();
    const sanJose = await world.agent('San Jose volunteer', SAN_JOSE);
    const newYork = await world.agent('NYC volunteer', NEW_YORK);
    // Three traces of one route five days ago (one incident), one two days ago (another), two today.
    await sanJose.send(
      [0, 60, 120].map((s) => ({
        output: sanJoseViaChina(oldMorning + s),
        engine: 'scamper' as const,
        target: ROUTER.washington,
      })),
    );
    await sanJose.send([
      { output: sanJoseViaChina(recentMorning), engine: 'scamper', target: ROUTER.washington },
    ]);
    await sanJose.send([{ output: SAN_JOSE_VIA_JAPAN, engine: 'traceroute', target: ROUTER.newYork }]);
    await newYork.send([
      { output: NEW_YORK_VIA_FRANKFURT, engine: 'traceroute', target: 'chicago.example.com' },
    ]);
    const stored = (await (await fetch(`${world.url}/api/v1/map/detours`)).json()) as DetourPage;
    for (const d of stored.items) {
      const t = Date.parse(d.startedAt) / 1000;
      if (d.countries.includes('CN') && t < oldMorning + DAY_S / 2) ids.chinaOld.push(d.id);
      else if (d.countries.includes('CN')) ids.chinaRecent = d.id;
      if (d.countries.includes('JP')) ids.japan = d.id;
      if (d.countries.includes('DE')) ids.frankfurt = d.id;
    }
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  async function newPage(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return page;
  }

  it('stored what the agents sent, on the days they traced it', () => {
    expect(ids.chinaOld).toHaveLength(3);
    expect([ids.chinaRecent, ids.japan, ids.frankfurt].every((id) => id > 0)).toBe(true);
  });

  it('draws each route once with its count, and a click on a route lists its traces', async () => {
    const page = await newPage();
    await openMap(page, world.url);
    // Four China traces share one route; Japan and Frankfurt are one each.
    expect(await stats(page)).toMatchObject({ paths: 6, routes: 3 });
    expect(await page.locator('#counts').textContent()).toMatch(/^6 detour traces on 3 routes/);
    expect(await page.evaluate(() => window.detourwatch?.agents())).toBe(2);

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
    await page.waitForSelector('#scope .route-scope');
    expect(await page.locator('#scope .route-scope').textContent()).toContain('4 traces on this route');
    await expect.poll(() => rowIds(page)).toEqual(sorted([...ids.chinaOld, ids.chinaRecent]));

    // A trace of that route says so in its hop table's head.
    await page.click(`#list .row[data-id="${ids.chinaRecent}"]`);
    await page.waitForSelector('#detail:not([hidden]) .route-note');
    expect(await page.locator('#detail .route-note').textContent()).toContain('4 traces on this route');
    await page.close();
  });

  it('brushing the timeline to one day shows only that day’s paths', async () => {
    const page = await newPage();
    await openMap(page, world.url);
    const day = dayIso(recentMorning);
    const bar = page.locator(`#timeline g.bin[data-start="${day}"]`);
    expect(await bar.getAttribute('data-total')).toBe('1');
    const b = await bar.boundingBox();
    expect(b).not.toBeNull();
    const y = (b?.y ?? 0) + (b?.height ?? 0) / 2;
    await page.mouse.move((b?.x ?? 0) + (b?.width ?? 0) * 0.2, y);
    await page.mouse.down();
    await page.mouse.move((b?.x ?? 0) + (b?.width ?? 0) * 0.8, y, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => rowIds(page)).toEqual([ids.chinaRecent]);
    const url = new URL(page.url());
    expect(url.searchParams.get('since')).toBe(day);
    expect(url.searchParams.get('until')).toBe(new Date(Date.parse(day) + DAY_S * 1000).toISOString());
    expect(await stats(page)).toMatchObject({ paths: 1, routes: 1 });
    // The whole timeline stays in view, the brushed day marked; "All time" clears it.
    expect(await page.locator('#timeline g.bin').count()).toBe(3);
    await page.click('#timeline .timeline-clear');
    await expect.poll(async () => (await stats(page))?.paths).toBe(6);
    expect(new URL(page.url()).searchParams.get('since')).toBeNull();
    await page.close();
  });

  it('an incident clicked in the incidents view opens its traces', async () => {
    const page = await newPage();
    await openMap(page, world.url);
    await page.click('#tab-incidents');
    const incident = page.locator('#incidents .incident', { hasText: '3 traces' });
    await incident.waitFor();
    expect(await incident.textContent()).toContain('CN');
    expect(await incident.textContent()).toContain('AS4134');
    expect(await incident.textContent()).toMatch(/1 witness/);
    const id = await incident.getAttribute('data-id');
    await incident.click();
    await expect.poll(() => rowIds(page)).toEqual(sorted(ids.chinaOld));
    expect(new URL(page.url()).searchParams.get('incident')).toBe(id);
    expect(await stats(page)).toMatchObject({ paths: 3, routes: 1 });
    expect(await page.locator('#scope .incident-scope').textContent()).toContain(`incident #${id}`);
    await page.click('#scope .incident-scope button');
    await expect.poll(async () => (await stats(page))?.paths).toBe(6);
    await page.close();
  });

  it('filters by an agent’s name, and says when a name matches no agent', async () => {
    const page = await newPage();
    await openMap(page, world.url);
    await page.fill('input[name="agent"]', 'NYC volunteer');
    await expect.poll(() => rowIds(page)).toEqual([ids.frankfurt]);
    expect(new URL(page.url()).searchParams.get('agent')).toBe('NYC volunteer');
    expect(await page.locator('#message').isHidden()).toBe(true);

    await page.fill('input[name="agent"]', 'Nobody at all');
    await expect
      .poll(() => page.locator('#message').textContent())
      .toContain('No agent has the name or id “Nobody at all”');
    expect(await rowIds(page)).toEqual([]);
    expect(await page.locator('#list .empty').textContent()).toContain('No detour matches these filters');
    await page.close();
  });

  it('titles the map after the home country and saves a screenshot with incidents and timeline', async () => {
    const page = await newPage();
    await openMap(page, world.url);
    expect(await page.locator('#subtitle').textContent()).toBe('US domestic paths that went abroad');
    expect(await page.locator('.dw-legend').textContent()).toContain('Home: US (with PR');
    await page.click('#tab-incidents');
    await page.locator('#incidents .incident').first().waitFor();
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
    const file = path.join(ARTIFACTS, 'map-events.png');
    await page.screenshot({ path: file });
    expect(fs.statSync(file).size).toBeGreaterThan(20_000);
    await page.close();
  });

  it('on a coordinator with no detours, says how to connect the first agent', async () => {
    const empty = await startMapCoordinator();
    try {
      const page = await newPage();
      await openMap(page, empty.url);
      const state = page.locator('#list .empty.first-run');
      expect(await state.textContent()).toContain('No detours yet');
      expect(await state.locator('a').getAttribute('href')).toBe('/agent/');
      expect(await page.locator('#counts').textContent()).toMatch(/^0 detour traces on 0 routes/);
      await page.close();
    } finally {
      await empty.close();
    }
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
