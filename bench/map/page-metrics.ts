/**
 * What one map load costs in headless Chromium: time to the first complete render (the page's own
 * `detourwatch:ready` mark, from navigation start: every route drawn and the list filled), frame times during
 * a scripted pan (a mouse drag, as an analyst pans) and a zoom in and out (the wheel, animated), from
 * requestAnimationFrame deltas, and the page's JS heap after a garbage collection.
 */
import type { Browser, Page } from 'playwright-core';
import type {} from '../../web/src/page-handle.ts';

export interface PageFigures {
  firstRenderMs: number;
  /** Distinct routes drawn and the traces on them (the page's own count). */
  drawnRoutes: number;
  drawnTraces: number;
  /** The counts line as the analyst reads it. */
  counts: string;
  panFrames: number[];
  zoomFrames: number[];
  heapMiB: number;
}

const VIEWPORT = { width: 1440, height: 900 };

/**
 * Starts collecting requestAnimationFrame deltas in the page. A string, not a function: tsx would wrap a
 * function's inner named closures in a helper that does not exist in the page.
 */
const START_FRAMES = `(() => {
  window.__frames = [];
  window.__framing = true;
  let last = 0;
  const tick = (now) => {
    window.__frames.push(now - last);
    last = now;
    if (window.__framing) requestAnimationFrame(tick);
  };
  requestAnimationFrame((now) => { last = now; requestAnimationFrame(tick); });
})()`;

async function startFrames(page: Page): Promise<void> {
  await page.evaluate(START_FRAMES);
}

async function stopFrames(page: Page): Promise<number[]> {
  // Two more frames, so a redraw the gesture's end scheduled (moveend, zoomend) is counted too.
  await page.evaluate(
    () => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))),
  );
  return page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __framing: boolean };
    w.__framing = false;
    return w.__frames;
  });
}

/** A drag across the map and back: 50 mouse moves of 12 px each way, one per frame, as a hand pans. */
async function pan(page: Page): Promise<void> {
  const x = VIEWPORT.width / 2;
  const y = VIEWPORT.height / 2;
  for (const dx of [-12, 12]) {
    await page.mouse.move(x, y);
    await page.mouse.down();
    for (let i = 1; i <= 50; i++) {
      await page.mouse.move(x + i * dx, y + (i * dx) / 6);
      await page.waitForTimeout(16);
    }
    await page.mouse.up();
    await page.waitForTimeout(500);
  }
}

/** Two wheel notches in, then two out, each waiting for Leaflet's zoom animation to end. */
async function zoom(page: Page): Promise<void> {
  await page.mouse.move(VIEWPORT.width / 2, VIEWPORT.height / 2);
  for (const dy of [-240, -240, 240, 240]) {
    await page.mouse.wheel(0, dy);
    await page.waitForTimeout(600);
  }
}

/**
 * One untimed load in its own context: a running coordinator has compiled its handlers and holds its pages in
 * SQLite's cache; the benchmark measures the page against that, not a process's first seconds.
 */
export async function warmUp(browser: Browser, url: string): Promise<void> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    // The timeline, incidents and the rest of the list follow the first render: let them finish too.
    await page.waitForLoadState('networkidle');
  } finally {
    await context.close();
  }
}

export async function measureMap(browser: Browser, url: string): Promise<PageFigures> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    const firstRenderMs = await page.evaluate(
      () => performance.getEntriesByName('detourwatch:ready')[0]?.startTime ?? -1,
    );
    const stats = await page.evaluate(() => window.detourwatch?.stats());
    const counts = (await page.locator('#counts').textContent()) ?? '';
    // Let the load settle (the timeline, incidents, agents) before the gestures are timed.
    await page.waitForTimeout(500);
    await startFrames(page);
    await pan(page);
    const panFrames = await stopFrames(page);
    await startFrames(page);
    await zoom(page);
    const zoomFrames = await stopFrames(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
    return {
      firstRenderMs,
      drawnRoutes: stats?.routes ?? 0,
      drawnTraces: stats?.paths ?? 0,
      counts,
      panFrames,
      zoomFrames,
      heapMiB: heap.usedSize / 1048576,
    };
  } finally {
    await context.close();
  }
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
