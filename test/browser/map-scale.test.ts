/**
 * Issue 21 at 10,000 paths: a real coordinator over a store filled through its own write path (`writeImported`
 * batches of traces judged by the real analysis over the scale world), opened in headless Chromium. The map
 * must draw every path the store holds, say so, and open the hop table of a path clicked on the canvas.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetourDetail } from '../../protocol/map-api.ts';
import { requirement, SKIP_REASONS, skipUnless } from '../helpers/skips.ts';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium } from './helpers/chromium.ts';
import { type MapCoordinator, startMapCoordinator } from './helpers/map-coordinator.ts';
import { importBatches, judgedPaths } from './helpers/map-scale-world.ts';
import { ensureWebBuilt } from './helpers/web-build.ts';

const PATHS = 10_000;
/** One trace per path: a click on any route then opens its hop table (a busier route lists its traces). */
const TRACES = PATHS;
const chromium = requirement(
  HAVE_CHROMIUM,
  SKIP_REASONS.chromium,
  `${CHROMIUM} is absent (apt-get install chromium)`,
);

async function openMap(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
}

describe(
  `the map with ${PATHS.toLocaleString('en-US')} distinct paths`,
  skipUnless('the 10,000-path map test', chromium),
  () => {
    let browser: Browser;
    let world: MapCoordinator;

    beforeAll(async () => {
      await ensureWebBuilt();
      world = await startMapCoordinator();
      const asOf = Date.now();
      for (const batch of importBatches(judgedPaths(PATHS, asOf), TRACES, asOf)) {
        await world.test.store.writeImported(batch);
      }
      browser = await launchChromium();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await world?.close();
    });

    it('draws every stored path and says how many traces and routes it shows', async () => {
      const { detours } = await world.test.store.historyCounts();
      expect(detours).toBe(TRACES);
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await openMap(page, world.url);
      const stats = await page.evaluate(() => window.detourwatch?.stats());
      expect(stats?.routes).toBe(PATHS);
      expect(stats?.paths).toBe(detours);
      // Legs shared by several routes are stroked once: fewer than the routes' legs, and the page says so.
      expect(stats?.legs).toBeLessThan(stats?.routeLegs ?? 0);
      console.log(`${PATHS} routes: ${stats?.routeLegs} route legs, ${stats?.legs} legs stroked`);
      const counts = (await page.locator('#counts').textContent()) ?? '';
      expect(counts).toContain(
        `${detours.toLocaleString('en-US')} detour traces on ${PATHS.toLocaleString('en-US')} routes`,
      );
      expect(counts).toContain('drawn once');
      await page.close();
    }, 60_000);

    it('opens the hop table of a path clicked on the canvas', async () => {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await openMap(page, world.url);
      // A detour taken once (its route's count is 1, so a click opens it): aim at the middle of its first
      // transatlantic or transpacific leg, wherever that is on screen.
      const [first] = await world.test.store.mapDetoursByIds([TRACES]);
      expect(first).toBeDefined();
      const aimed = (await (
        await fetch(`${world.url}/api/v1/map/detours/${first?.id}`)
      ).json()) as DetourDetail;
      const [from, to] = [aimed.path[0], aimed.path[1]];
      const point = await page.evaluate(
        ({ a, b }) => {
          const map = window.detourwatch?.map;
          if (!map || !a || !b) return null;
          const size = map.getSize();
          for (const shift of [0, -360, 360]) {
            const pa = map.latLngToContainerPoint([a.lat, a.lon + shift]);
            const pb = map.latLngToContainerPoint([b.lat, b.lon + shift]);
            const p = { x: (pa.x + pb.x) / 2, y: (pa.y + pb.y) / 2 };
            if (p.x > 0 && p.x < size.x && p.y > 0 && p.y < size.y) return p;
          }
          return null;
        },
        { a: from, b: to },
      );
      expect(point).not.toBeNull();
      const box = await page.locator('#map').boundingBox();
      const at = { x: (box?.x ?? 0) + (point?.x ?? 0), y: (box?.y ?? 0) + (point?.y ?? 0) };
      await page.mouse.click(at.x, at.y);
      await page.waitForSelector('#detail:not([hidden]) table.hops', { timeout: 15_000 });
      const chosen = Number(new URL(page.url()).searchParams.get('path'));
      expect(chosen).toBeGreaterThan(0);

      // Several routes may share that leg: whichever opened must pass within a few pixels of the click.
      const detail = (await (
        await fetch(`${world.url}/api/v1/map/detours/${chosen}`)
      ).json()) as DetourDetail;
      const nearest = await page.evaluate(
        ({ hops, click }) => {
          const map = window.detourwatch?.map;
          if (!map) return Number.POSITIVE_INFINITY;
          let best = Number.POSITIVE_INFINITY;
          for (const shift of [0, -360, 360]) {
            for (let i = 1; i < hops.length; i++) {
              const a = map.latLngToContainerPoint([hops[i - 1]?.lat ?? 0, (hops[i - 1]?.lon ?? 0) + shift]);
              const b = map.latLngToContainerPoint([hops[i]?.lat ?? 0, (hops[i]?.lon ?? 0) + shift]);
              const dx = b.x - a.x;
              const dy = b.y - a.y;
              const t = Math.max(
                0,
                Math.min(1, ((click.x - a.x) * dx + (click.y - a.y) * dy) / (dx * dx + dy * dy || 1)),
              );
              best = Math.min(best, Math.hypot(click.x - (a.x + t * dx), click.y - (a.y + t * dy)));
            }
          }
          return best;
        },
        { hops: detail.path, click: point ?? { x: 0, y: 0 } },
      );
      expect(nearest).toBeLessThan(9);

      // The hop table is that detour's, as the store holds it: every TTL, its address and its verdict.
      const stored = await world.test.store.mapDetour(chosen);
      const rows = await page
        .locator('#detail tr.hop')
        .evaluateAll((els) => els.map((e) => e.querySelector('td:nth-child(2) .mono')?.textContent ?? ''));
      expect(rows).toEqual(stored?.verdict.hops.map((h) => h.ip ?? '*'));
      expect(await page.locator('#detail .detail-id').textContent()).toBe(`#${chosen}`);
      await page.close();
    }, 60_000);

    it('lets a keyboard user reach the paths list and open a path from it', async () => {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await openMap(page, world.url);
      let inList = false;
      for (let i = 0; i < 60 && !inList; i++) {
        await page.keyboard.press('Tab');
        inList = await page.evaluate(() => document.activeElement?.matches('#list .row') === true);
      }
      expect(inList).toBe(true);
      const id = await page.evaluate(() => Number((document.activeElement as HTMLElement).dataset.id));
      await page.keyboard.press('Enter');
      await page.waitForSelector('#detail:not([hidden]) table.hops', { timeout: 15_000 });
      expect(await page.locator('#detail .detail-id').textContent()).toBe(`#${id}`);
      await page.close();
    }, 60_000);
  },
);
