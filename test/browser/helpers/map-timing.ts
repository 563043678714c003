import type { Browser, Page } from 'playwright-core';
import type {} from '../../../web/src/page-handle.ts';

export interface MapLoad {
  /** ms from navigation start until the paths were on screen and the list filled (the page's own mark). */
  readyMs: number;
  paths: number;
  routes: number;
  legs: number;
  listRows: number;
  counts: string;
}

/**
 * Opens the map `runs` times, each in a fresh browser context (no cached script, style or data), and reports
 * when it became interactive. `onFirst` may look at the first page before it closes (a screenshot).
 */
export async function timeMapLoads(
  browser: Browser,
  url: string,
  runs: number,
  onFirst?: (page: Page) => Promise<void>,
): Promise<MapLoad[]> {
  const loads: MapLoad[] = [];
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    const readyMs = await page.evaluate(
      () => performance.getEntriesByName('detourwatch:ready')[0]?.startTime ?? -1,
    );
    const stats = await page.evaluate(() => window.detourwatch?.stats());
    loads.push({
      readyMs,
      paths: stats?.paths ?? 0,
      routes: stats?.routes ?? 0,
      legs: stats?.legs ?? 0,
      listRows: await page.locator('#list .row').count(),
      counts: (await page.locator('#counts').textContent()) ?? '',
    });
    if (run === 0) await onFirst?.(page);
    await context.close();
  }
  return loads;
}

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
