/**
 * Swapping the City and ASN databases of a running coordinator: the files given with --city-db/--asn-db are
 * watched (and re-read on request, SIGHUP), and a new file goes into service only after it opened and passed
 * a sanity check; otherwise one log line names it and why, and the database in service stays. Each swap makes
 * a new locator (its own cache): the analyzer asks for the one in service once per trace, so no trace is
 * judged half with one build and half with the other.
 */
import { type FSWatcher, statSync, watch } from 'node:fs';
import path from 'node:path';
import { inspectAddress } from '../../protocol/address/classify.ts';
import { describeError } from '../../protocol/errors.ts';
import type { GeoDatabaseBuild } from '../../protocol/verdict.ts';
import { openAsnDb } from './asn-db.ts';
import { openEmbeddedAsnRanges } from './asn-ranges.ts';
import { openCityDb, openEmbeddedCityDb } from './city-db.ts';
import { type Locator, locatorFrom } from './locator.ts';
import type { AsnSource, CitySource } from './sources.ts';

type Role = GeoDatabaseBuild['role'];
type Source = CitySource | AsnSource;

/** Well-known public addresses every real City and ASN database places (resolvers of Google, Cloudflare, Quad9). */
const PUBLIC_PROBES = ['8.8.8.8', '1.1.1.1', '9.9.9.9', '2001:4860:4860::8888'] as const;
/** In test/lab mode documentation ranges stand for the Internet, and its databases place them. */
const DOCUMENTATION_PROBES = ['192.0.2.1', '198.51.100.1', '203.0.113.1', '2001:db8::1'] as const;
const DEFAULT_DEBOUNCE_MS = 500;

export interface DatabaseSwapOptions {
  /** The user's City database (watched); absent: the embedded one, which changes only with a release. */
  cityDb?: string;
  asnDb?: string;
  lookUpDocumentation: boolean;
  log: (line: string) => void;
  /** Watch the files and swap when they change (serve); false: only reload() swaps. */
  watch: boolean;
  /** Quiet time after the last change before a file is read (a copy arrives in many writes). Default 500 ms. */
  debounceMs?: number;
  /** Addresses of which a new database must place at least one (default: public resolvers, plus documentation addresses in lab mode). */
  probeAddresses?: readonly string[];
}

export type SwapOutcome = 'swapped' | 'refused' | 'unchanged';

export interface SwappableGeo {
  /** The locator in service now. */
  current(): Locator;
  /** Tries every watched file again now (SIGHUP), even one that did not change; one outcome per file. */
  reload(): { role: Role; file: string; outcome: SwapOutcome }[];
  close(): void;
}

const ROLE_NAME: Record<Role, string> = { city: 'City database', asn: 'ASN database' };

function builds(source: Source): GeoDatabaseBuild[] {
  return source.builds?.() ?? [];
}

function shown(source: Source): string {
  return builds(source)
    .map((b) => `${b.name} built ${b.builtAt ?? 'on an unknown date'}`)
    .join(', ');
}

/** The newest build date of a source (ISO dates compare as text), null when it has none. */
function builtAt(source: Source): string | null {
  const dates = builds(source)
    .map((b) => b.builtAt)
    .filter((d): d is string => d !== null);
  return dates.length === 0 ? null : (dates.sort().at(-1) ?? null);
}

/**
 * Why `candidate` may not replace `inService`, or null when it may: it must carry a build date, not be older
 * than the one in service, answer every probe without failing, and place at least one probe with a
 * well-formed record (the sources drop malformed records, so a garbage file answers nothing).
 */
export function swapProblem(candidate: Source, inService: Source, probes: readonly string[]): string | null {
  const built = builtAt(candidate);
  if (built === null) return 'it carries no build date';
  const current = builtAt(inService);
  if (current !== null && built < current) {
    return `it was built ${built}, before the one in service (${current}); restart with it to go back`;
  }
  let placed = 0;
  for (const probe of probes) {
    const { lookupAddress, version } = inspectAddress(probe);
    try {
      const answer = candidate.lookup(lookupAddress, version);
      if (answer !== null) placed += 1;
    } catch (err) {
      return `looking up ${probe} failed (${describeError(err)})`;
    }
  }
  return placed === 0 ? `it places none of ${probes.join(', ')}` : null;
}

interface Slot {
  role: Role;
  file: string;
  source: Source;
  /** What the file in service looked like when it was read. */
  serving: string | null;
  /** What the file looked like when last tried, so a refused file is not tried (and logged) again unchanged. */
  seen: string | null;
  timer: NodeJS.Timeout | null;
}

function fingerprint(file: string): string | null {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return null;
  }
}

function seenNow(file: string): { serving: string | null; seen: string | null } {
  const now = fingerprint(file);
  return { serving: now, seen: now };
}

/** Opens the databases now (a bad one fails startup, naming the file), then watches the user's files. */
export function openSwappableGeo(options: DatabaseSwapOptions): SwappableGeo {
  const { log } = options;
  const probes =
    options.probeAddresses ??
    (options.lookUpDocumentation ? [...PUBLIC_PROBES, ...DOCUMENTATION_PROBES] : [...PUBLIC_PROBES]);
  let city: CitySource = options.cityDb === undefined ? openEmbeddedCityDb() : openCityDb(options.cityDb);
  let asn: AsnSource = options.asnDb === undefined ? openEmbeddedAsnRanges() : openAsnDb(options.asnDb);
  let locator = locatorFrom(city, asn, options.lookUpDocumentation);
  const slots: Slot[] = [];
  if (options.cityDb !== undefined)
    slots.push({ role: 'city', file: options.cityDb, source: city, ...seenNow(options.cityDb), timer: null });
  if (options.asnDb !== undefined)
    slots.push({ role: 'asn', file: options.asnDb, source: asn, ...seenNow(options.asnDb), timer: null });

  const tryFile = (slot: Slot, force: boolean): SwapOutcome => {
    const now = fingerprint(slot.file);
    if (now === slot.serving || (!force && now === slot.seen)) return 'unchanged';
    slot.seen = now;
    const what = ROLE_NAME[slot.role];
    let candidate: Source;
    try {
      candidate = slot.role === 'city' ? openCityDb(slot.file) : openAsnDb(slot.file);
    } catch (err) {
      log(
        `geo: refused the new ${what} ${slot.file}: ${describeError(err)}; still using ${shown(slot.source)}`,
      );
      return 'refused';
    }
    const problem = swapProblem(candidate, slot.source, probes);
    if (problem !== null) {
      log(`geo: refused the new ${what} ${slot.file}: ${problem}; still using ${shown(slot.source)}`);
      return 'refused';
    }
    log(`geo: swapped in the ${what} ${slot.file} (${shown(candidate)}), replacing ${shown(slot.source)}`);
    slot.source = candidate;
    slot.serving = now;
    if (slot.role === 'city') city = candidate as CitySource;
    else asn = candidate as AsnSource;
    // A new locator, so no cached answer of the old build survives; traces under way keep the old one.
    locator = locatorFrom(city, asn, options.lookUpDocumentation);
    return 'swapped';
  };

  // The directory, not the file: a database is usually replaced by renaming a new file over it.
  const watchers: FSWatcher[] = [];
  if (options.watch) {
    const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    for (const slot of slots) {
      try {
        const watcher = watch(path.dirname(slot.file), (_event, name) => {
          if (name !== null && name !== path.basename(slot.file)) return;
          if (slot.timer) clearTimeout(slot.timer);
          slot.timer = setTimeout(() => {
            slot.timer = null;
            tryFile(slot, false);
          }, debounceMs);
        });
        watcher.on('error', (err) => log(`geo: stopped watching ${slot.file}: ${describeError(err)}`));
        watcher.unref();
        watchers.push(watcher);
      } catch (err) {
        log(`geo: cannot watch ${slot.file} (${describeError(err)}); SIGHUP still swaps it`);
      }
    }
  }

  return {
    current: () => locator,
    reload: () => slots.map((slot) => ({ role: slot.role, file: slot.file, outcome: tryFile(slot, true) })),
    close() {
      for (const watcher of watchers) watcher.close();
      for (const slot of slots) if (slot.timer) clearTimeout(slot.timer);
    },
  };
}
