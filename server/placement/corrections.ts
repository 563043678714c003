/**
 * Operators' corrections of router locations (issue 15, item 5): checked against the RTTs, stored with who,
 * when and why, and used by placement. `checkCorrection` and `importCorrections` are what both the CLI
 * (local store) and the API run; `startCorrections` is the coordinator's part: the in-memory map placement
 * reads synchronously (`correctionFor`), loaded at start and reloaded before every re-judging, and the loop
 * that re-judges pending changes, whoever recorded them (the API at once; the CLI on a local store within
 * `pollMs`).
 */
import { DetourwatchError } from '../../protocol/errors.ts';
import type { CorrectionPlace } from '../../protocol/location-corrections.ts';
import type { LatLon } from '../physics/great-circle.ts';
import type {
  LocationCorrectionStore,
  PlacementChange,
  StoredCorrection,
} from '../store/location-correction-store.ts';
import type { RouterConstraintStore } from '../store/router-constraint-store.ts';
import { assertCorrectionAllowed, correctionDiscs, refusalText, refutation } from './correction-check.ts';
import { correctionPlace } from './correction-place.ts';
import type { OperatorCorrection } from './decide.ts';
import type { Gazetteer } from './gazetteer.ts';
import type { GeofeedLine } from './geofeed.ts';
import { DEFAULT_REJUDGE, type RejudgeDeps, type RejudgeSettings, rejudgeChange } from './rejudge.ts';

/** Prober positions whose lowest RTT a check reads. */
const PROBER_POSITIONS = 200;

export interface CheckDeps {
  store: Pick<RouterConstraintStore, 'routerConstraints'> & Pick<LocationCorrectionStore, 'proberReadings'>;
  kmPerMs: number;
  gazetteer: () => Gazetteer;
}

export interface CorrectionRequest extends LatLon {
  ip: string;
  note: string;
  country?: string | null;
  city?: string | null;
  region?: string | null;
  by: string;
  at: number;
}

async function discsFor(ip: string, deps: CheckDeps) {
  const [constraints, readings] = await Promise.all([
    deps.store.routerConstraints(ip),
    deps.store.proberReadings(ip, PROBER_POSITIONS),
  ]);
  return correctionDiscs({ constraints, readings }, deps.kmPerMs);
}

/** The correction to store, or CORRECTION_REFUTED with the numbers when an RTT rules the point out. */
export async function checkCorrection(
  request: CorrectionRequest,
  deps: CheckDeps,
): Promise<StoredCorrection> {
  const place = correctionPlace(request, request, deps.gazetteer);
  assertCorrectionAllowed(request.ip, place, await discsFor(request.ip, deps));
  return { ip: request.ip, ...place, note: request.note, by: request.by, at: request.at };
}

/** What an import said of each line. */
export interface ImportLineResult {
  line: number;
  ip: string | null;
  accepted: boolean;
  message: string;
}

export interface ImportOutcome {
  lines: ImportLineResult[];
  /** The changes stored: every accepted line's, or none when a line was refused and `acceptValid` is off. */
  changes: PlacementChange[];
}

const placeText = (p: CorrectionPlace) =>
  `${p.lat},${p.lon} (${[p.city, p.region, p.country].filter((x) => x !== null).join(', ')})`;

/**
 * Checks every line against the RTTs, then stores all accepted ones in one transaction, or, when a line was
 * refused and `acceptValid` is off, stores nothing: a bad file is never half applied.
 */
export async function importCorrections(
  lines: readonly GeofeedLine[],
  who: { by: string; at: number },
  deps: CheckDeps & { store: Pick<LocationCorrectionStore, 'setLocationCorrections'> },
  options: { acceptValid: boolean },
): Promise<ImportOutcome> {
  const results: ImportLineResult[] = [];
  const accepted: StoredCorrection[] = [];
  for (const l of lines) {
    if ('error' in l) {
      results.push({ line: l.line, ip: null, accepted: false, message: l.error });
      continue;
    }
    const v = refutation(l.place, await discsFor(l.ip, deps));
    if (v !== null) {
      results.push({ line: l.line, ip: l.ip, accepted: false, message: refusalText(l.ip, l.place, v) });
      continue;
    }
    accepted.push({ ip: l.ip, ...l.place, note: l.note, by: who.by, at: who.at });
    results.push({ line: l.line, ip: l.ip, accepted: true, message: `${l.ip} at ${placeText(l.place)}` });
  }
  const refused = results.some((r) => !r.accepted);
  if (accepted.length === 0 || (refused && !options.acceptValid)) return { lines: results, changes: [] };
  return { lines: results, changes: await deps.store.setLocationCorrections(accepted) };
}

/** What placement reads: the correction of an address, synchronously. */
export interface CorrectionBook {
  correctionFor(address: string): OperatorCorrection | null;
  replace(list: readonly StoredCorrection[]): void;
  readonly size: number;
}

export function createCorrectionBook(): CorrectionBook {
  let byIp = new Map<string, OperatorCorrection>();
  return {
    correctionFor: (address) => byIp.get(address) ?? null,
    replace(list) {
      byIp = new Map(
        list.map((c) => [c.ip, { lat: c.lat, lon: c.lon, country: c.country, city: c.city, note: c.note }]),
      );
    },
    get size() {
      return byIp.size;
    },
  };
}

export interface CorrectionsOptions extends Omit<RejudgeDeps, 'store'> {
  store: Pick<
    LocationCorrectionStore,
    | 'listLocationCorrections'
    | 'pendingPlacementChanges'
    | 'rejudgeCandidates'
    | 'writeRejudged'
    | 'finishPlacementChange'
  >;
  book: CorrectionBook;
  rejudge?: RejudgeSettings;
  /** How often pending changes recorded by others (the CLI on a local store) are looked for (default 5 s). */
  pollMs?: number;
}

export interface Corrections {
  /** Reloads the map and re-judges every pending change, one run at a time; resolves with the final records. */
  applyPending(): Promise<PlacementChange[]>;
  close(): Promise<void>;
}

const PENDING_BATCH = 50;

export async function startCorrections(options: CorrectionsOptions): Promise<Corrections> {
  const { store, book } = options;
  let running: Promise<PlacementChange[]> = Promise.resolve([]);
  let closed = false;
  const run = async (): Promise<PlacementChange[]> => {
    const done: PlacementChange[] = [];
    for (;;) {
      const pending = await store.pendingPlacementChanges(PENDING_BATCH);
      if (pending.length === 0 || closed) return done;
      // The map first: the analysis judges again with every correction as it is now.
      book.replace(await store.listLocationCorrections());
      for (const change of pending) {
        done.push(await rejudgeChange(change, { ...options, store }, options.rejudge ?? DEFAULT_REJUDGE));
      }
    }
  };
  const applyPending = () => {
    const next = running.then(run, run);
    running = next.catch(() => []);
    return next;
  };
  book.replace(await store.listLocationCorrections());
  // Changes recorded while no coordinator ran are re-judged in the background; the map is loaded already.
  applyPending().catch((err) => options.log(`placement: cannot re-judge pending changes: ${String(err)}`));
  const timer = setInterval(() => {
    applyPending().catch((err) => options.log(`placement: cannot re-judge pending changes: ${String(err)}`));
  }, options.pollMs ?? 5000);
  timer.unref();
  return {
    applyPending,
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** For messages: "no correction for 198.51.100.7". */
export function noCorrection(ip: string): DetourwatchError {
  return new DetourwatchError('NOT_FOUND', `no correction for ${ip} (see \`detourwatch locations list\`)`);
}
