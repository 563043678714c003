/**
 * Issue 13: an operator saves a paste from the map, in Debian Chromium against a real coordinator. The page has
 * no login: "Save" appears only once an operator key is typed into its password field; a wrong key is refused
 * with the coordinator's code and stores nothing; the right one stores the trace as origin `paste`, and the key
 * is kept nowhere but in that field (not in localStorage or sessionStorage, not in the URL).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceSummary } from '../../protocol/history-api.ts';
import { HAVE_CHROMIUM, launchChromium } from './helpers/chromium.ts';
import { type MapCoordinator, startMapCoordinator } from './helpers/map-coordinator.ts';
import { NEW_YORK, ROUTER } from './helpers/map-world.ts';
import { ensureWebBuilt } from './helpers/web-build.ts';

/** The world's New York -> Chicago path as Windows prints it. */
const TRACERT = [
  `Tracing route to ${ROUTER.chicago} over a maximum of 30 hops`,
  '',
  `  1    <1 ms    <1 ms     1 ms  ${ROUTER.newYork}`,
  `  2    20 ms    21 ms    20 ms  ${ROUTER.chicago}`,
  '',
  'Trace complete.',
].join('\r\n');

describe.skipIf(!HAVE_CHROMIUM)('saving a pasted traceroute from the map', () => {
  let browser: Browser;
  let world: MapCoordinator;
  const pageErrors: string[] = [];
  const stored = async (): Promise<TraceSummary[]> =>
    ((await (await fetch(`${world.url}/api/v1/traces`)).json()) as { traces: TraceSummary[] }).traces;

  beforeAll(async () => {
    await ensureWebBuilt();
    world = await startMapCoordinator();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  async function openPaste(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(world.url);
    await page.waitForSelector('body[data-ready="true"]');
    await page.locator('#paste > summary').click();
    await page.locator('#paste .paste-text').fill(TRACERT);
    await page.locator('#paste .paste-location').fill(`${NEW_YORK.lat},${NEW_YORK.lon}`);
    return page;
  }

  it('shows Save only with a key; a wrong key is refused and stores nothing', async () => {
    const page = await openPaste();
    const save = page.locator('#paste .paste-save');
    expect(await save.isVisible()).toBe(false);
    await page.locator('#paste .paste-key').fill('dwt_not-a-key');
    await save.waitFor({ state: 'visible' });
    await save.click();
    await expect
      .poll(() => page.locator('#paste .paste-status').textContent())
      .toMatch(/^Not saved: AUTH_REQUIRED/);
    expect(await stored()).toHaveLength(0);
    await page.close();
  });

  it('with the operator key: stored as origin paste, the key kept only in its field', async () => {
    const page = await openPaste();
    const key = world.test.operatorKey;
    await page.locator('#paste .paste-key').fill(key);
    await page.locator('#paste .paste-save').click();
    await expect
      .poll(() => page.locator('#paste .paste-status').textContent())
      .toMatch(/^Saved as trace #\d+/);
    const status = (await page.locator('#paste .paste-status').textContent()) ?? '';
    const id = Number(/#(\d+)/.exec(status)?.[1]);
    const traces = await stored();
    expect(traces.map((t) => [t.id, t.origin, t.destinationIp])).toEqual([[id, 'paste', ROUTER.chicago]]);
    const kept = await page.evaluate(() => ({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      url: location.href,
    }));
    for (const where of Object.values(kept)) expect(where).not.toContain(key);
    // Saved again: nothing new.
    await page.locator('#paste .paste-save').click();
    await expect
      .poll(() => page.locator('#paste .paste-status').textContent())
      .toMatch(/^Saved before: trace #/);
    expect(await stored()).toHaveLength(1);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
