/**
 * "Analyse a traceroute" in Debian Chromium, against a real coordinator over the test world's databases
 * (helpers/map-world.ts): pasted text is judged by the coordinator, drawn marked as pasted, never stored.
 * Verdicts come from the analyzer (or, for the world's own trace, from what the world defines), never from here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, launchChromium } from './helpers/chromium.ts';
import { type MapCoordinator, startMapCoordinator } from './helpers/map-coordinator.ts';
import { NEW_YORK, ROUTER } from './helpers/map-world.ts';
import { ensureWebBuilt, REPO_ROOT } from './helpers/web-build.ts';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/paste');
const TRACERT = readFileSync(path.join(FIXTURES, 'tracert/handwritten-d.txt'), 'utf8');
const MTR_RW = readFileSync(path.join(FIXTURES, 'mtr-report/rw-n-c3.txt'), 'utf8');

/** The world's New York -> Frankfurt -> Chicago detour (probable, past a refuted London claim), as Windows prints it. */
const WORLD_TRACERT = [
  `C:\\>tracert -d ${ROUTER.chicago}`,
  '',
  `Tracing route to ${ROUTER.chicago} over a maximum of 30 hops`,
  '',
  `  1    <1 ms    <1 ms     1 ms  ${ROUTER.newYork}`,
  `  2     2 ms     2 ms     3 ms  ${ROUTER.fakeLondon}`,
  `  3    88 ms    89 ms    90 ms  ${ROUTER.frankfurt}`,
  `  4   104 ms   105 ms   104 ms  ${ROUTER.chicago}`,
  '',
  'Trace complete.',
  '',
].join('\r\n');

/** TTLs listed in the hop table, and each hop's address. */
const hopIps = (page: Page) => page.locator('#detail tr.hop td:nth-child(2) .mono').allTextContents();

/** Polylines drawn on the selected path's canvas (where a pasted trace is drawn). */
const selectedLines = (page: Page) =>
  page.evaluate(() => {
    let lines = 0;
    window.detourwatch?.map.eachLayer((layer) => {
      const l = layer as unknown as {
        options?: { renderer?: { options?: { pane?: string } } };
        getLatLngs?: () => unknown;
      };
      if (l.options?.renderer?.options?.pane === 'selected' && l.getLatLngs) lines++;
    });
    return lines;
  });

describe.skipIf(!HAVE_CHROMIUM)('pasting a traceroute on the map', () => {
  let browser: Browser;
  let world: MapCoordinator;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await ensureWebBuilt();
    world = await startMapCoordinator();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  async function openMap(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(world.url);
    await page.waitForSelector('body[data-ready="true"]');
    await page.locator('#paste summary').click();
    return page;
  }

  /** Pastes `text` (and the source location, when given), analyses it and waits for the detail view. */
  async function paste(page: Page, text: string, where: { lat: number; lon: number } | null): Promise<void> {
    const back = page.locator('#detail .back');
    if (await back.isVisible()) await back.click();
    await page.locator('#paste .paste-text').fill(text);
    if (where) {
      await page.locator('#paste .paste-location').fill(`${where.lat},${where.lon}`);
    }
    await page.locator('#paste .paste-submit').click();
    await page.locator('#detail .pasted-note').waitFor({ state: 'visible' });
  }

  it('asks for the source location when a Windows tracert does not carry one, then draws it with its verdict', async () => {
    const page = await openMap();
    await page.locator('#paste .paste-text').fill(TRACERT);
    await page.locator('#paste .paste-submit').click();
    // The sample's source is not in the text: the coordinator asks, and the page shows the field.
    await page.locator('#paste .paste-location').waitFor({ state: 'visible' });
    await paste(page, TRACERT, NEW_YORK);
    expect(await hopIps(page)).toEqual(['192.168.1.1', '198.51.100.1', '*', '203.0.113.80']);
    const verdict = await page.locator('#detail .pasted-verdict').textContent();
    const listed = await page.locator('#paste .paste-verdict').first().textContent();
    expect(verdict?.length).toBeGreaterThan(0);
    expect(verdict).toBe(listed);
    expect(await page.locator('#map').getAttribute('class')).toMatch(/showing-pasted/);
    await page.close();
  });

  it('draws an mtr -rw report with its verdict and hop table', async () => {
    const page = await openMap();
    await paste(page, MTR_RW, NEW_YORK);
    expect(await hopIps(page)).toEqual(['192.0.2.2', '198.51.100.2', '203.0.113.2', '192.0.2.10']);
    expect((await page.locator('#detail .pasted-verdict').textContent())?.length).toBeGreaterThan(0);
    await page.close();
  });

  it("draws the world's own detour as a pasted path with the verdict the world defines, and stores nothing", async () => {
    const page = await openMap();
    await paste(page, WORLD_TRACERT, NEW_YORK);
    expect(await page.locator('#detail .pasted-verdict').textContent()).toBe('detour (probable)');
    await expect.poll(() => selectedLines(page), { timeout: 5000 }).toBeGreaterThan(0);
    expect(await page.locator('#detail .detail-id').textContent()).toBe('not stored');
    const stored = (await (await fetch(`${world.url}/api/v1/traces`)).json()) as { traces: unknown[] };
    expect(stored.traces).toHaveLength(0);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
