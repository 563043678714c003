/**
 * `detourwatch analyze` throughput: the real CLI (node bin/detourwatch.js analyze --json FILE > /dev/null)
 * on a large NDJSON file of RIPE-Atlas-format results made from the fixtures by varying their addresses.
 * The process's wall time includes its start (tsx compiling the sources, opening the databases): that is
 * measured apart on a one-trace file and reported, with the rate net of it.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { residentMiB } from './child.ts';
import { loadLineCorpus, REPO_ROOT, variedTexts } from './fixtures.ts';
import { median } from './stats.ts';

export interface AnalyzeOptions {
  traces: number;
  variants: number;
  runs: number;
}

export interface AnalyzeResult {
  traces: number;
  fileMiB: number;
  format: string;
  tracesPerSecond: number;
  startupSeconds: number;
  /** (traces - 1) / (wall - startup): the rate once running. */
  steadyTracesPerSecond: number;
  runs: number[];
  /** The process's peak RSS (VmHWM, sampled every 100 ms: threads included), MiB, per run. */
  peakRssMiB: number[];
  /** Worker threads (`--jobs`, default the number of CPUs). */
  jobs: number;
}

/**
 * Runs the CLI on `file`; resolves with its wall time in seconds and its peak RSS, rejects on a non-zero exit
 * or timeout.
 */
function timeAnalyze(file: string, timeoutMs: number): Promise<{ seconds: number; peakMiB: number }> {
  const devNull = openSync('/dev/null', 'w');
  const began = performance.now();
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'bin/detourwatch.js'), 'analyze', '--json', file],
    {
      stdio: ['ignore', devNull, 'pipe'],
    },
  );
  closeSync(devNull);
  let peakMiB = Number.NaN;
  const sampler = setInterval(() => {
    const m = child.pid === undefined ? null : residentMiB(child.pid);
    // A sample taken as the process exits may read nothing (or a partial status): keep the others.
    if (m && Number.isFinite(m.peak)) peakMiB = Number.isNaN(peakMiB) ? m.peak : Math.max(peakMiB, m.peak);
  }, 100);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (stderr.length < 4000) stderr += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      const seconds = (performance.now() - began) / 1000;
      if (code === 0) resolve({ seconds, peakMiB });
      else reject(new Error(`analyze exited ${code ?? signal}: ${stderr.slice(0, 500)}`));
    });
  });
}

export async function benchAnalyze(options: AnalyzeOptions): Promise<AnalyzeResult> {
  const corpus = loadLineCorpus();
  const lines = variedTexts(corpus.lines, options.variants);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'detourwatch-bench-analyze-'));
  try {
    const big = path.join(dir, 'traces.ndjson');
    const one = path.join(dir, 'one.ndjson');
    const chunks: string[] = [];
    let bytes = 0;
    for (let i = 0; i < options.traces; i++) {
      const line = `${lines[i % lines.length]}\n`;
      chunks.push(line);
      bytes += Buffer.byteLength(line);
    }
    writeFileSync(big, chunks.join(''));
    writeFileSync(one, `${lines[1] ?? lines[0]}\n`);
    // Every line is one trace, in both formats the corpus can hold.
    const startup = median([
      (await timeAnalyze(one, 60_000)).seconds,
      (await timeAnalyze(one, 60_000)).seconds,
    ]);
    const runs: number[] = [];
    const peakRssMiB: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      const run = await timeAnalyze(big, 600_000);
      runs.push(run.seconds);
      peakRssMiB.push(run.peakMiB);
    }
    const wall = median(runs);
    return {
      traces: options.traces,
      fileMiB: Math.round((bytes / 2 ** 20) * 10) / 10,
      format: corpus.format,
      tracesPerSecond: options.traces / wall,
      startupSeconds: startup,
      steadyTracesPerSecond: (options.traces - 1) / Math.max(1e-3, wall - startup),
      runs: runs.map((s) => options.traces / s),
      peakRssMiB,
      jobs: os.availableParallelism(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
