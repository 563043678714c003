/**
 * `npm run bench:map`: the analysts' map at 1,000, 10,000 and 50,000 distinct detour paths (issue 21), each
 * store holding 200,000 detour traces spread over its paths, served by the real coordinator (as `serve` wires
 * it, in a child process) and opened in headless Debian Chromium. Per size: time to the first complete render,
 * frame times during a scripted pan and a zoom in and out, the page's JS heap, and the same gestures on an
 * empty map in the same run (so a slow machine shows as a slow machine).
 *
 *   npm run bench:map                 # 1,000, 10,000 and 50,000 paths; a table with PASS/MISS per target
 *   npm run bench:map -- --quick      # 1,000 and 10,000 only
 *   npm run bench:map -- --json       # one JSON line per size
 *   npm run bench:map -- --fresh      # regenerate the cached stores (bench/results/cache)
 *   npm run bench:map -- --traces N   # traces behind the paths (default 200,000)
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import { MIGRATIONS } from '../../server/store/sqlite/schema.ts';
import { HAVE_CHROMIUM, launchChromium } from '../../test/browser/helpers/chromium.ts';
import { ensureWebBuilt } from '../../test/browser/helpers/web-build.ts';
import { Child, runInChild } from '../child.ts';
import { REPO_ROOT } from '../fixtures.ts';
import { checked, fmt, info, type Row, renderTable } from '../table.ts';
import type { FilledStore, FillOptions } from './fill-map-store.ts';
import { measureMap, type PageFigures, percentile, warmUp } from './page-metrics.ts';

const SERVER = fileURLToPath(new URL('../store/serve-store-child.ts', import.meta.url));
const CACHE = path.join(REPO_ROOT, 'bench/results/cache');
/** Bump when the fill writes different rows for the same options. */
const FILL_VERSION = 1;

export const TARGETS = {
  /** 30 frames a second: requestAnimationFrame deltas come in 16.7 ms steps, and 33.3 ms is one frame dropped. */
  frameP95Ms: 1000 / 30,
  /** Frame p95 at most this many times the empty map's. */
  emptyRatio: 2,
  firstRenderMs: { 10000: 1000, 50000: 2500 } as Record<number, number>,
  heapMiB: { 50000: 300 } as Record<number, number>,
};

export interface MapBenchLine {
  paths: number;
  traces: number;
  /** Distinct routes the page drew, and the traces it says they hold. */
  drawnPaths: number;
  drawnTraces: number;
  firstRenderMs: number;
  frameP50Ms: number;
  frameP95Ms: number;
  panP95Ms: number;
  zoomP95Ms: number;
  /** The longest frame of the gestures. */
  frameMaxMs: number;
  heapMiB: number;
  emptyFrameP95Ms: number;
  /** The coordinator's first routes answer (learning every route), a warm one, and its size. */
  learnRoutesMs: number;
  routesMs: number;
  routesMiB: number;
  counts: string;
}

async function cachedFill(
  options: Omit<FillOptions, 'dataDir'>,
  fresh: boolean,
): Promise<FilledStore & { dataDir: string }> {
  const key = createHash('sha256')
    .update(JSON.stringify({ MIGRATIONS, FILL_VERSION, options }))
    .digest('hex')
    .slice(0, 12);
  const name = `map-paths-${options.paths}`;
  const dataDir = path.join(CACHE, `${name}-${key}`);
  const marker = path.join(dataDir, 'filled.json');
  if (!fresh && existsSync(marker))
    return { ...(JSON.parse(readFileSync(marker, 'utf8')) as FilledStore), dataDir };
  if (existsSync(CACHE)) {
    for (const entry of readdirSync(CACHE).filter((e) => e.startsWith(`${name}-`)))
      rmSync(path.join(CACHE, entry), { recursive: true, force: true });
  }
  mkdirSync(dataDir, { recursive: true });
  const filled = await runInChild<FilledStore>(
    new URL('./fill-map-store.ts', import.meta.url),
    'fillMapStore',
    [{ ...options, dataDir }],
    1_800_000,
  );
  writeFileSync(marker, `${JSON.stringify(filled)}\n`);
  return { ...filled, dataDir };
}

/** Serves `dataDir` with the real coordinator in a child and measures the map in Chromium. */
interface StoreFigures extends PageFigures {
  /** The coordinator's first routes answer (it learns every detour's route) and a second one. */
  learnMs: number;
  routesMs: number;
  routesMiB: number;
}

async function measureStore(dataDir: string, asOf: number): Promise<StoreFigures> {
  const server = new Child(SERVER);
  const browser = await launchChromium();
  try {
    server.send({ type: 'job', job: { dataDir, asOf } });
    const url = String((await server.next('ready', 300_000)).url);
    // The coordinator learns each stored detour's route once (its first routes answer): timed apart from the page.
    const began = performance.now();
    const res = await fetch(`${url}/api/v1/map/routes`);
    if (!res.ok) throw new Error(`GET /api/v1/map/routes answered ${res.status}`);
    await res.arrayBuffer();
    const learnMs = performance.now() - began;
    const again = performance.now();
    const body = await (await fetch(`${url}/api/v1/map/routes`)).arrayBuffer();
    const routesMs = performance.now() - again;
    await warmUp(browser, url);
    return { ...(await measureMap(browser, url)), learnMs, routesMs, routesMiB: body.byteLength / 1048576 };
  } finally {
    await browser.close();
    await server.stop(30_000);
  }
}

const p95 = (f: PageFigures): number => percentile([...f.panFrames, ...f.zoomFrames], 95);

const routesNote = (line: MapBenchLine): string =>
  `routes answer ${fmt.ms(line.routesMs)} (${line.routesMiB} MiB); the coordinator's first, after learning every stored route: ${fmt.ms(line.learnRoutesMs)}`;

function rowsOf(line: MapBenchLine): Row[] {
  const name = `map, ${fmt.count(line.paths)} paths`;
  const frameTarget = Math.min(TARGETS.frameP95Ms, TARGETS.emptyRatio * line.emptyFrameP95Ms);
  const rows: Row[] = [
    checked(
      name,
      'every path drawn',
      `${fmt.count(line.drawnPaths)} routes, ${fmt.count(line.drawnTraces)} traces`,
      `${fmt.count(line.paths)} routes, ${fmt.count(line.traces)} traces`,
      line.drawnPaths === line.paths && line.drawnTraces === line.traces,
      line.counts,
    ),
    checked(
      name,
      'pan + zoom frame p95',
      fmt.ms(line.frameP95Ms),
      `<= ${fmt.ms(frameTarget)} (30 fps, 2x empty ${fmt.ms(line.emptyFrameP95Ms)})`,
      line.frameP95Ms <= frameTarget,
      `p50 ${fmt.ms(line.frameP50Ms)}; pan p95 ${fmt.ms(line.panP95Ms)}, zoom p95 ${fmt.ms(line.zoomP95Ms)}; longest ${fmt.ms(line.frameMaxMs)}`,
    ),
  ];
  const render = TARGETS.firstRenderMs[line.paths];
  rows.push(
    render === undefined
      ? info(name, 'first complete render', fmt.ms(line.firstRenderMs), routesNote(line))
      : checked(
          name,
          'first complete render',
          fmt.ms(line.firstRenderMs),
          `<= ${fmt.count(render)} ms`,
          line.firstRenderMs <= render,
          routesNote(line),
        ),
  );
  const heap = TARGETS.heapMiB[line.paths];
  rows.push(
    heap === undefined
      ? info(name, 'JS heap', fmt.mib(line.heapMiB))
      : checked(name, 'JS heap', fmt.mib(line.heapMiB), `< ${heap} MiB`, line.heapMiB < heap),
  );
  return rows;
}

export async function benchMap(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const fresh = argv.includes('--fresh');
  const tracesAt = argv.indexOf('--traces');
  const traces = tracesAt >= 0 ? Number(argv[tracesAt + 1]) : 200_000;
  if (!Number.isInteger(traces) || traces < 1) {
    console.error('bench:map: --traces takes a whole number');
    return 2;
  }
  if (!HAVE_CHROMIUM) {
    console.error('bench:map: needs /usr/bin/chromium (apt-get install chromium)');
    return 1;
  }
  const log = (line: string): void => {
    if (!json) console.log(line);
  };
  await ensureWebBuilt();
  const sizes = quick ? [1000, 10_000] : [1000, 10_000, 50_000];

  /** The empty map, measured again before each size: the machine's load then is the size's. */
  const measureEmpty = async (): Promise<StoreFigures> => {
    const emptyDir = mkdtempSync(path.join(tmpdir(), 'dw-bench-map-empty-'));
    try {
      await openSqliteStore({ dataDir: emptyDir, create: true }).close();
      const empty = await measureStore(emptyDir, Date.now());
      log(`empty map: frame p95 ${fmt.ms(p95(empty))}, first render ${fmt.ms(empty.firstRenderMs)}`);
      return empty;
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
    }
  };

  const rows: Row[] = [];
  for (const paths of sizes) {
    const store = await cachedFill({ paths, traces: Math.max(traces, paths) }, fresh);
    log(
      `${fmt.count(paths)} paths: store of ${fmt.count(store.detours)} detour traces ready (${store.seconds.toFixed(1)} s to fill)`,
    );
    const empty = await measureEmpty();
    const f = await measureStore(store.dataDir, store.asOf);
    const frames = [...f.panFrames, ...f.zoomFrames];
    const line: MapBenchLine = {
      paths,
      traces: store.detours,
      drawnPaths: f.drawnRoutes,
      drawnTraces: f.drawnTraces,
      firstRenderMs: Math.round(f.firstRenderMs),
      frameP50Ms: +percentile(frames, 50).toFixed(1),
      frameP95Ms: +percentile(frames, 95).toFixed(1),
      panP95Ms: +percentile(f.panFrames, 95).toFixed(1),
      zoomP95Ms: +percentile(f.zoomFrames, 95).toFixed(1),
      frameMaxMs: +Math.max(...frames).toFixed(1),
      heapMiB: +f.heapMiB.toFixed(1),
      emptyFrameP95Ms: +p95(empty).toFixed(1),
      learnRoutesMs: Math.round(f.learnMs),
      routesMs: Math.round(f.routesMs),
      routesMiB: +f.routesMiB.toFixed(1),
      counts: f.counts,
    };
    if (json) console.log(JSON.stringify(line));
    rows.push(...rowsOf(line));
  }
  if (!json) console.log(`\n${renderTable(rows)}`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  benchMap(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    },
  );
}
