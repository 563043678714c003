/**
 * The analysts' map: time to interactive (the page's own `detourwatch:ready` mark: paths drawn and the list
 * filled, from navigation start) in headless Debian Chromium, each load in a fresh browser context (nothing
 * cached), against a coordinator wired as `serve` wires it over a store holding N detours. The stores are
 * generated from the replay corpus through the product's write path, keeping only traces judged detours.
 * The map draws every stored detour inside its route (issue 21); `npm run bench:map` measures it at scale.
 */
import { fileURLToPath } from 'node:url';
import { HAVE_CHROMIUM, launchChromium } from '../../test/browser/helpers/chromium.ts';
import { timeMapLoads } from '../../test/browser/helpers/map-timing.ts';
import { ensureWebBuilt } from '../../test/browser/helpers/web-build.ts';
import { Child } from '../child.ts';
import type { SectionContext } from '../main.ts';
import type { SectionOutput } from '../sections.ts';
import { median } from '../stats.ts';
import { cachedStore } from '../store/cached-store.ts';
import { checked, fmt, info, type Row, skipped } from '../table.ts';

const SERVER = fileURLToPath(new URL('../store/serve-store-child.ts', import.meta.url));
const MAP_INTERACTIVE_MS = 1500;
const TARGET_PATHS = 2000;

interface MapFigure {
  paths: number;
  drawn: number;
  readyMs: number[];
  median: number;
}

async function timeOne(paths: number, runs: number, fresh: boolean): Promise<MapFigure> {
  const store = await cachedStore(
    `map-store-${paths}`,
    { traces: paths, onlyDetours: true, agents: 8, variants: 100, roundMinutes: 15 },
    fresh,
  );
  if (store.detours !== paths) throw new Error(`the map store holds ${store.detours} detours, not ${paths}`);
  const server = new Child(SERVER);
  const browser = await launchChromium();
  try {
    server.send({ type: 'job', job: { dataDir: store.dataDir, asOf: store.asOf } });
    const url = String((await server.next('ready', 120_000)).url);
    const loads = await timeMapLoads(browser, url, runs);
    const drawn = paths;
    for (const load of loads) {
      if (load.paths !== drawn) throw new Error(`the map drew ${load.paths} paths, expected ${drawn}`);
    }
    const readyMs = loads.map((l) => l.readyMs);
    return { paths, drawn, readyMs, median: median(readyMs) };
  } finally {
    await browser.close();
    await server.stop(30_000);
  }
}

export async function mapSection(ctx: SectionContext): Promise<SectionOutput> {
  if (!HAVE_CHROMIUM)
    return { rows: [skipped('map time to interactive', 'no /usr/bin/chromium')], detail: {} };
  await ensureWebBuilt();
  const p = ctx.profile.map;
  const figures: MapFigure[] = [];
  for (const paths of p.paths) figures.push(await timeOne(paths, p.runs, ctx.fresh));
  const rows: Row[] = figures.map((f) => {
    const name = `map with ${fmt.count(f.paths)} detours`;
    const note = `median of ${f.readyMs.length} loads, each in a fresh browser context`;
    return f.paths === TARGET_PATHS
      ? checked(
          name,
          'time to interactive',
          fmt.ms(f.median),
          `< ${fmt.count(MAP_INTERACTIVE_MS)} ms`,
          f.median < MAP_INTERACTIVE_MS,
          note,
        )
      : info(name, 'time to interactive', fmt.ms(f.median), note);
  });
  return { rows, detail: { figures } };
}
