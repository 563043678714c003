import { createReadStream } from 'node:fs';
import type { SourcePosition } from '../protocol/annotated.ts';
import { describeError } from '../protocol/errors.ts';
import { createAnalyzer } from '../server/analyze/pipeline.ts';
import { isTraceFormat, type TraceFormat } from '../server/parse/index.ts';
import { readTraces } from '../server/parse/read-traces.ts';
import { Problems, parseCommandLine, parseCountry, parsePosition, parsePositive } from './args.ts';
import type { CliIo, Command } from './io.ts';
import { verdictRecord, verdictTable } from './verdict-output.ts';

const usage = `Usage: detourwatch analyze [options] FILE...   (- reads standard input)

Judges each traceroute in the files: domestic, detour (confirmed | probable), foreign-endpoint or inconclusive.

Options:
  --format auto|scamper|mtr|traceroute|atlas   input format (default auto: detected per file)
  --source-location LAT,LON   where the prober is (default: its source address, looked up)
  --home-country CC           the country whose domestic traffic is judged (default US)
  --city-db PATH              a GeoIP2/GeoLite2 City .mmdb (default: the embedded GeoLite2 City data)
  --asn-db PATH               a GeoLite2 ASN .mmdb (default: the embedded ASN ranges)
  --km-per-ms N               distance bound per ms of round-trip time (default 100)
  --look-up-documentation     locate documentation addresses (only for lab databases that place them)
  --json                      one JSON object per trace (NDJSON) instead of tables

Exit status: 0 when every trace was analysed, 1 when some input could not be read (each problem is named).`;

interface AnalyzeOptions {
  format: TraceFormat;
  sourcePosition: SourcePosition | null;
  json: boolean;
  files: string[];
  analyzer: {
    cityDb?: string;
    asnDb?: string;
    homeCountry?: string;
    kmPerMs?: number;
    lookUpDocumentation: boolean;
  };
}

function readOptions(args: string[]): AnalyzeOptions {
  const { values, positionals } = parseCommandLine(
    {
      args,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string', default: 'auto' },
        'source-location': { type: 'string' },
        'home-country': { type: 'string' },
        'city-db': { type: 'string' },
        'asn-db': { type: 'string' },
        'km-per-ms': { type: 'string' },
        'look-up-documentation': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    },
    usage,
  );
  const problems = new Problems();
  const format = values.format;
  if (!isTraceFormat(format))
    problems.add(`--format must be auto, scamper, mtr, traceroute or atlas, not "${format}"`);
  const position =
    values['source-location'] === undefined
      ? undefined
      : problems.take(parsePosition(values['source-location'], '--source-location'));
  const homeCountry =
    values['home-country'] === undefined
      ? undefined
      : problems.take(parseCountry(values['home-country'], '--home-country'));
  const kmPerMs =
    values['km-per-ms'] === undefined
      ? undefined
      : problems.take(parsePositive(values['km-per-ms'], '--km-per-ms'));
  if (positionals.length === 0) problems.add('no input: name one or more files, or - for standard input');
  problems.throwIfAny(usage);
  return {
    format: format as TraceFormat,
    sourcePosition: position ? { ...position, source: 'declared' } : null,
    json: values.json,
    files: positionals,
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
  const flush = async () => {
    if (size === 0) return;
    const text = pending.join('');
    pending = [];
    size = 0;
    if (!io.stdout.write(text)) await new Promise((resolve) => io.stdout.once('drain', resolve));
  };
  return {
    async write(text: string) {
      pending.push(text);
      size += text.length;
      if (size >= 64 * 1024) await flush();
    },
    flush,
  };
}

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'judge traceroute files: domestic, detour, foreign-endpoint or inconclusive',
  usage,
  async run(args, io) {
    const options = readOptions(args);
    const analyzer = createAnalyzer(options.analyzer);
    const out = writer(io);
    let analysed = 0;
    let failures = 0;
    for (const file of options.files) {
      const label = file === '-' ? 'stdin' : file;
      const stream = file === '-' ? io.stdin : createReadStream(file);
      try {
        for await (const item of readTraces(stream, options.format)) {
          if ('error' in item) {
            failures++;
            io.stderr.write(`detourwatch analyze: ${label} ${item.where}: ${describeError(item.error)}\n`);
            continue;
          }
          const verdict = analyzer.analyze(item.trace, options.sourcePosition);
          analysed++;
          await out.write(
            options.json
              ? `${JSON.stringify(verdictRecord(item.trace, verdict, label, item.where))}\n`
              : `${verdictTable(item.trace, verdict, label, item.where)}\n`,
          );
        }
      } catch (err) {
        failures++;
        const cause = (err as NodeJS.ErrnoException).code;
        const message =
          cause === 'ENOENT'
            ? 'no such file'
            : cause === 'EISDIR'
              ? 'is a directory, not a file'
              : describeError(err);
        io.stderr.write(`detourwatch analyze: ${label}: ${message}\n`);
      }
    }
    await out.flush();
    if (!options.json || failures > 0) {
      io.stderr.write(
        `analysed ${analysed} trace${analysed === 1 ? '' : 's'}${failures > 0 ? `; ${failures} problem${failures === 1 ? '' : 's'} (above)` : ''}\n`,
      );
    }
    return failures > 0 ? 1 : 0;
  },
};
