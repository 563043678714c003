import path from 'node:path';
import { DetourwatchError } from '../protocol/errors.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../protocol/version.ts';
import { createAnalyzer } from '../server/analyze/pipeline.ts';
import { formatDuration } from '../server/config/duration.ts';
import {
  DEFAULT_DATA_DIR,
  loadServeConfig,
  SERVE_USAGE,
  type ServeConfig,
} from '../server/config/serve-config.ts';
import type { Coordinator } from '../server/coordinator.ts';
import {
  HISTORY_USAGE,
  type HistoryConfig,
  loadHistoryConfig,
  splitHistoryArgs,
} from '../server/history/history-options.ts';
import { type ServeStack, startServeStack } from '../server/serve-stack.ts';
import { openSqliteStore } from '../server/store/sqlite-store.ts';
import type { CliIo, Command } from './io.ts';

function howToConnect(config: ServeConfig, coordinator: Coordinator): string[] {
  const dataFlag = config.dataDir === path.resolve(DEFAULT_DATA_DIR) ? '' : ` --data ${config.dataDir}`;
  const everywhere = config.host === '0.0.0.0' || config.host === '::';
  const server = everywhere
    ? `ws://THIS-MACHINE:${coordinator.port}`
    : coordinator.url.replace(/^http/, 'ws');
  const lines = [
    '',
    'To connect an agent:',
    `  1. on this machine, create its token:  npx detourwatch token create --name NAME${dataFlag}`,
    `  2. on the volunteer's machine, run:      npx detourwatch agent --server ${server} --token TOKEN`,
  ];
  if (config.host === '127.0.0.1' || config.host === 'localhost' || config.host === '::1') {
    lines.push(
      '  (listening on this machine only: start with --host 0.0.0.0 so agents elsewhere can connect)',
    );
  } else if (everywhere) {
    lines.push('  (THIS-MACHINE: an address or name of this machine that the agents can reach)');
  }
  return lines;
}

function banner(
  config: ServeConfig,
  analysis: string[],
  coordinator: Coordinator,
  targets: number,
  history: string[],
): string[] {
  const schedule = config.schedule
    ? `each agent traces each target every ${formatDuration(config.intervalMs)}`
    : 'recurring measurements off (--no-schedule); POST /api/v1/measurements still works';
  const source = config.targetsAreDefault ? 'the default catalogue' : 'the operator list';
  return [
    `detourwatch coordinator ${AGENT_VERSION} (protocol ${PROTOCOL_VERSION})`,
    `data: ${coordinator.storeDescription}`,
    ...analysis.map((line) => `analysis: ${line}`),
    `targets: ${targets} from ${source} ${config.targetsFile}, plus connected agents with public addresses`,
    `schedule: ${schedule}`,
    ...history.map((line) => `history: ${line}`),
    ...howToConnect(config, coordinator),
    '',
    `agents connect to ${coordinator.agentUrl}`,
    // Last, so a process reading this line (tests, supervisors) knows the coordinator is up.
    `listening on ${coordinator.url}`,
  ];
}

/** Resolves on the first SIGTERM or SIGINT; SIGHUP re-reads the target list meanwhile. */
function untilStopped(coordinator: Coordinator, say: (line: string) => void): Promise<string> {
  return new Promise((resolve) => {
    const onHup = () => {
      say('SIGHUP: re-reading the target list');
      coordinator.reloadTargets();
    };
    const stop = (signal: string) => {
      process.off('SIGHUP', onHup);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(signal);
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}

/** Both option sets are read before either complains, so the operator sees every problem at once. */
function loadConfig(args: string[]): { historyConfig: HistoryConfig; config: ServeConfig } {
  const problems: string[] = [];
  const usageProblems = (err: unknown): string => {
    if (!(err instanceof DetourwatchError) || err.code !== 'USAGE') throw err;
    return err.message.replace(/\nRun `detourwatch serve --help` for the options\.$/, '');
  };
  let history: { config: HistoryConfig; rest: string[] } | null = null;
  try {
    history = loadHistoryConfig(args, process.env);
  } catch (err) {
    problems.push(usageProblems(err));
  }
  let config: ServeConfig | null = null;
  try {
    // Without the history flags taken out, serve's own loader would call them unknown.
    config = loadServeConfig(history?.rest ?? splitHistoryArgs(args).rest, process.env);
  } catch (err) {
    problems.push(usageProblems(err));
  }
  if (history === null || config === null) {
    throw new DetourwatchError(
      'USAGE',
      `${problems.join('')}\nRun \`detourwatch serve --help\` for the options.`,
    );
  }
  return { historyConfig: history.config, config };
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the coordinator: HTTP API, agent endpoint, ingest and store',
  usage: `${SERVE_USAGE}
${HISTORY_USAGE}`,
  async run(args: string[], io: CliIo): Promise<number> {
    const { historyConfig, config } = loadConfig(args);
    const say = (line: string) => io.stdout.write(`${line}\n`);
    const log = (line: string) => say(`${new Date().toISOString()} ${line}`);
    const analyzer = createAnalyzer({
      cityDb: config.cityDb,
      asnDb: config.asnDb,
      homeCountry: config.homeCountry,
      kmPerMs: config.kmPerMs,
      lookUpDocumentation: config.lookUpDocumentation,
    });
    analyzer.preload();
    const store = openSqliteStore({ dataDir: config.dataDir, create: true });
    let stack: ServeStack;
    try {
      stack = await startServeStack({
        config,
        historyConfig,
        analyzer,
        store,
        log,
        watchTargets: !config.targetsAreDefault,
      });
    } catch (err) {
      await store.close();
      throw err;
    }
    const { coordinator, history } = stack;
    say(
      banner(config, analyzer.describe(), coordinator, coordinator.targetCount(), history.describe()).join(
        '\n',
      ),
    );
    const signal = await untilStopped(coordinator, log);
    log(`${signal}: shutting down (writing pending results, closing agent connections)`);
    await stack.close();
    await store.close();
    log('stopped');
    return 0;
  },
};
