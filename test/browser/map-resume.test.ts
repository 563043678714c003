/**
 * The map resumes its live stream (issue 12): the page reaches the coordinator through a TCP relay on
 * 127.0.0.1 that the test can cut (every connection closed, new ones refused at once). While cut, a detour
 * is stored through the real ingest; once the relay lets connections through again, the page's EventSource
 * reconnects with Last-Event-ID and the detour appears, without reloading, exactly once. A stream that
 * started "from now" on reconnect (the old feed) would never show it.
 */
import net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetourPage } from '../../protocol/map-api.ts';
import type {} from '../../web/src/page-handle.ts';
import { HAVE_CHROMIUM, launchChromium } from './helpers/chromium.ts';
import { type MapAgent, type MapCoordinator, startMapCoordinator } from './helpers/map-coordinator.ts';
import { ROUTER, SAN_JOSE, SAN_JOSE_VIA_JAPAN, sanJoseViaChina } from './helpers/map-world.ts';
import { ensureWebBuilt } from './helpers/web-build.ts';

/** A relay to `port` whose connections the test can cut, and then let through again. */
async function relay(port: number) {
  const open = new Set<net.Socket>();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cut() {
      cut = true;
      for (const s of open) s.destroy();
    },
    restore() {
      cut = false;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const rowIds = (page: Page) =>
  page.locator('#list .row').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.id)));

describe.skipIf(!HAVE_CHROMIUM)('the map resumes its live stream after a disconnect, in Chromium', () => {
  let browser: Browser;
  let world: MapCoordinator;
  let sanJose: MapAgent;
  let proxy: Awaited<ReturnType<typeof relay>>;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await ensureWebBuilt();
    world = await startMapCoordinator();
    sanJose = await world.agent('San Jose volunteer', SAN_JOSE);
    await sanJose.send([{ output: SAN_JOSE_VIA_JAPAN, engine: 'traceroute', target: ROUTER.newYork }]);
    proxy = await relay(world.test.coordinator.port);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await world?.close();
  });

  it('shows a detour stored while its stream was cut off, once, without reloading', async () => {
    const page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(proxy.url);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#live.live.live');
    const before = await rowIds(page);
    expect(before).toHaveLength(1);
    // The page's own counter: a reload would reset it; the same page must see the detour arrive.
    await page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });

    proxy.cut();
    await page.waitForSelector('#live.reconnecting');
    const sent = Math.floor(Date.now() / 1000);
    await sanJose.send([{ output: sanJoseViaChina(sent), engine: 'scamper', target: ROUTER.washington }]);
    const stored = (await (await fetch(`${world.url}/api/v1/map/detours`)).json()) as DetourPage;
    const fresh = stored.items.map((d) => d.id).filter((id) => !before.includes(id));
    expect(fresh).toHaveLength(1);
    // Still cut off: nothing reached the page.
    expect(await rowIds(page)).toEqual(before);

    proxy.restore();
    await expect.poll(() => rowIds(page), { timeout: 20_000 }).toHaveLength(2);
    expect((await rowIds(page)).filter((id) => id === fresh[0])).toHaveLength(1);
    await page.waitForSelector('#live.live.live');
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );
    expect(await page.evaluate(() => window.detourwatch?.stats().paths)).toBe(2);
    // A second cut with nothing stored meanwhile brings nothing twice.
    proxy.cut();
    await page.waitForSelector('#live.reconnecting');
    proxy.restore();
    await page.waitForSelector('#live.live.live', { timeout: 20_000 });
    expect(await rowIds(page)).toHaveLength(2);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 90_000);
});
