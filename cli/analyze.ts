import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { DetourwatchError, describeError } from '../protocol/errors.ts';
import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { parseChoice } from '../protocol/values/choice.ts';
import { parseCountryCode } from '../protocol/values/country.ts';
import { parseLatLon } from '../protocol/values/lat-lon.ts';
import { parsePositiveNumber } from '../protocol/values/number.ts';
import { type Analyzer, createAnalyzer } from '../server/analyze/pipeline.ts';
import { dataDirFrom } from '../server/config/serve-config.ts';
import { TRACE_FORMATS } from '../server/parse/index.ts';
import {
  type InputPiece,
  lineFormatOf,
  lineItems,
  readTraceInput,
  type TraceItem,
} from '../server/parse/read-traces.ts';
import { type StoredLearning, storedLearning, traceAddresses } from '../server/placement/stored-learning.ts';
import { openStore } from '../server/store/open-store.ts';
import { parseDatabaseUrl } from '../server/store/pg/database-url.ts';
import type { Store } from '../server/store/store.ts';
import {
  type AnalyzeSettings,
  analyzeLines,
  type BatchOutput,
  problemLine,
  renderItems,
} from './analyze-batch.ts';
import { type AnalyzePool, startAnalyzePool } from './analyze-pool.ts';
import type { CliIo, Command } from './io.ts';

/**
 * NDJSON lines judged in the command's own thread before worker threads start: starting a worker (tsx, the
 * databases, the ASN tables) costs ~1.5 s of CPU, and on 2 cores 20,000 Atlas lines were still faster in
 * one thread. The command keeps judging lines itself until a worker is ready.
 */
const IN_PROCESS_LINES = 16_384;

const usage = `Usage: detourwatch analyze [options] FILE...   (- reads standard input)

Judges each traceroute in the files: domestic, detour (confirmed | probable), foreign-endpoint or inconclusive.

Options:
  --format FORMAT             input format (default auto: detected per file), one of
                              ${TRACE_FORMATS.join(' ')}
  --source-location LAT,LON   where the prober is (default: its source address, looked up)
  --home-country CC           the country whose domestic traffic is judged (default US)
  --city-db PATH              a GeoIP2/GeoLite2 City .mmdb (default: the embedded GeoLite2 City data)
  --asn-db PATH               a GeoLite2 ASN .mmdb (default: the embedded ASN ranges)
  --km-per-ms N               distance bound per ms of round-trip time (default 100)
  --look-up-documentation     locate documentation addresses (only for lab databases that place them)
  --json                      one JSON object per trace (NDJSON) instead of tables
  --jobs N                    threads judging NDJSON input of more than ${IN_PROCESS_LINES} lines
                              (default: the number of CPUs; 1 judges everything in this thread)
  --data DIR                  also use what the coordinator with this data directory has learned: its
                              router constraints (verified agents' lowest RTTs) and operators' corrections
                              (read only; judged in this thread)
  --database URL              the same from a PostgreSQL store

Exit status: 0 when every trace was analysed, 1 when some input could not be read (each problem is named).`;

interface AnalyzeOptions extends AnalyzeSettings {
  files: string[];
  jobs: number;
  /** A coordinator's store to learn from (--data, --database); null: the input and dictionaries only. */
  learnFrom: { dataDir: string; database: string | undefined } | null;
}

/** More threads than this only queue for the same cores. */
const MAX_JOBS = 1024;

function parseJobs(text: string): number {
  const jobs = /^\d{1,4}$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(jobs >= 1 && jobs <= MAX_JOBS)) {
    throw new DetourwatchError(
      'USAGE',
      `--jobs must be a whole number of threads from 1 to ${MAX_JOBS}, not "${text}"`,
    );
  }
  return jobs;
}

const ANALYZE_OPTIONS = {
  format: { type: 'string', parse: (t: string) => parseChoice(t, TRACE_FORMATS), default: 'auto' },
  'source-location': { type: 'string', parse: parseLatLon },
  'home-country': { type: 'string', parse: parseCountryCode },
  'city-db': { type: 'string' },
  'asn-db': { type: 'string' },
  'km-per-ms': { type: 'string', parse: parsePositiveNumber },
  'look-up-documentation': { type: 'boolean' },
  json: { type: 'boolean' },
  jobs: { type: 'string' },
  data: { type: 'string' },
  database: { type: 'string', parse: parseDatabaseUrl },
} as const satisfies OptionSpecs;

function readAnalyzeOptions(args: string[]): AnalyzeOptions {
  const { values, positionals, problems } = readOptions(
    ANALYZE_OPTIONS,
    args,
    {},
    { allowPositionals: true },
  );
  // --jobs names itself in its message (the wording scripts already match).
  const jobs =
    values.jobs === undefined
      ? availableParallelism()
      : problems.check(null, () => parseJobs(values.jobs as string));
  if (positionals.length === 0) problems.add('no input: name one or more files, or - for standard input');
  if (values.data !== undefined && values.database !== undefined) {
    problems.add('give --data or --database, not both: they name one store');
  }
  problems.throwIfAny('analyze');
  const learns = values.data !== undefined || values.database !== undefined;
  const position = values['source-location'];
  const homeCountry = values['home-country'];
  const kmPerMs = values['km-per-ms'];
  return {
    format: values.format,
    sourcePosition: position ? { ...position, source: 'declared' } : null,
    json: values.json,
    files: positionals,
    // The learned constraints are read per piece before it is judged, in this thread.
    jobs: learns ? 1 : (jobs ?? 1),
    learnFrom: learns ? { dataDir: dataDirFrom(values.data), database: values.database } : null,
    analyzer: {
      ...(values['city-db'] === undefined ? {} : { cityDb: values['city-db'] }),
      ...(values['asn-db'] === undefined ? {} : { asnDb: values['asn-db'] }),
      ...(homeCountry === undefined ? {} : { homeCountry }),
      ...(kmPerMs === undefined ? {} : { kmPerMs }),
      lookUpDocumentation: values['look-up-documentation'],
    },
  };
}

/** Writes with backpressure: a slow reader of a large output does not make the process buffer everything. */
function writer(io: CliIo) {
  let pending: string[] = [];
  let size = 0;
  const send = async (chunk: string | Uint8Array) => {
    if (!io.stdout.write(chunk)) await new Promise((resolve) => io.stdout.once('drain', resolve));
  };
  const flush = async () => {
    if (size === 0) return;
    const text = pending.join('');
    pending = [];
    size = 0;
    await send(text);
  };
  return {
    /** Bytes (a worker's batch, already encoded) go out as they are, after any text before them. */
    async write(text: string | Uint8Array) {
      if (typeof text !== 'string') {
        await flush();
        await send(text);
        return;
      }
      pending.push(text);
      size += text.length;
      if (size >= 64 * 1024) await flush();
    },
    flush,
  };
}

/** Every file's pieces in order; a file that cannot be read becomes its problem, and the next file follows. */
async function* piecesOf(
  options: AnalyzeOptions,
  io: CliIo,
): AsyncGenerator<{ label: string; piece: InputPiece } | { problem: string }> {
  for (const file of options.files) {
    const label = file === '-' ? 'stdin' : file;
    const stream = file === '-' ? io.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
    try {
      for await (const piece of readTraceInput(stream, options.format)) yield { label, piece };
    } catch (err) {
      const cause = (err as NodeJS.ErrnoException).code;
      const message =
        cause === 'ENOENT'
          ? 'no such file'
          : cause === 'EISDIR'
            ? 'is a directory, not a file'
            : describeError(err);
      yield { problem: problemLine(label, message) };
    }
  }
}

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'judge traceroute files: domestic, detour, foreign-endpoint or inconclusive',
  usage,
  async run(args, io) {
    const options = readAnalyzeOptions(args);
    const plain = createAnalyzer(options.analyzer);
    const learnFrom = options.learnFrom;
    const store: Store | null = learnFrom === null ? null : await openStore({ ...learnFrom, create: false });
    try {
      const learning = store === null ? null : await storedLearning(store, plain.provenance().kmPerMs);
      const analyzer = learning === null ? plain : plain.withLearned(learning.placement);
      return await analyzeInput(options, analyzer, learning, io);
    } finally {
      await store?.close();
    }
  },
};

/** A piece's traces, parsed here; the learned constraints of their addresses read before they are judged. */
async function learnedItems(
  piece: InputPiece,
  learning: StoredLearning,
  options: AnalyzeOptions,
): Promise<TraceItem[]> {
  const items =
    'items' in piece
      ? piece.items
      : piece.lines.flatMap((line, i) =>
          lineItems(line, piece.firstLineNumber + i, lineFormatOf(options.format)),
        );
  await learning.prefetch(traceAddresses(items.flatMap((item) => ('trace' in item ? [item.trace] : []))));
  return items;
}

async function analyzeInput(
  options: AnalyzeOptions,
  analyzer: Analyzer,
  learning: StoredLearning | null,
  io: CliIo,
): Promise<number> {
  const out = writer(io);
  let analysed = 0;
  let failures = 0;
  let linesSeen = 0;
  let pool: AnalyzePool | null = null;
  // Outputs in input order; a worker's batch waits here until every earlier one is written.
  const queue: Promise<BatchOutput>[] = [];
  const writeOldest = async () => {
    const output = await (queue.shift() as Promise<BatchOutput>);
    analysed += output.analysed;
    failures += output.problems.length;
    for (const problem of output.problems) io.stderr.write(problem);
    await out.write(output.text);
  };
  try {
    for await (const next of piecesOf(options, io)) {
      if ('problem' in next) {
        queue.push(Promise.resolve({ text: '', problems: [next.problem], analysed: 0 }));
      } else if (learning !== null) {
        const items = await learnedItems(next.piece, learning, options);
        queue.push(Promise.resolve(renderItems(items, next.label, analyzer, options)));
      } else if ('items' in next.piece) {
        queue.push(Promise.resolve(renderItems(next.piece.items, next.label, analyzer, options)));
      } else {
        const batch = { label: next.label, ...next.piece };
        linesSeen += batch.lines.length;
        if (pool === null && options.jobs > 1 && linesSeen > IN_PROCESS_LINES) {
          const { format, sourcePosition, json, analyzer: analyzerOptions } = options;
          pool = startAnalyzePool(options.jobs, {
            format,
            sourcePosition,
            json,
            analyzer: analyzerOptions,
          });
        }
        if (pool === null || !pool.takesWork()) {
          queue.push(Promise.resolve(analyzeLines(batch, analyzer, options)));
        } else {
          const output = pool.run(batch);
          // Awaited in order by writeOldest; this only keeps a failure from being reported as unhandled.
          output.catch(() => {});
          queue.push(output);
        }
      }
      // Two batches per worker in flight keep them busy while memory stays bounded.
      while (queue.length > 2 * options.jobs) await writeOldest();
    }
    while (queue.length > 0) await writeOldest();
  } finally {
    await pool?.close();
  }
  await out.flush();
  if (!options.json || failures > 0) {
    io.stderr.write(
      `analysed ${analysed} trace${analysed === 1 ? '' : 's'}${failures > 0 ? `; ${failures} problem${failures === 1 ? '' : 's'} (above)` : ''}\n`,
    );
  }
  return failures > 0 ? 1 : 0;
}
