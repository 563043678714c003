import { readFileSync, statSync, unwatchFile, watchFile } from 'node:fs';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import type { Position } from '../../protocol/messages.ts';
import { parseTargetList, type TargetList } from './target-list.ts';

/** A target list is a few hundred lines; anything far larger is a wrong file. */
const MAX_LIST_BYTES = 1024 * 1024;

export interface Catalogue {
  readonly file: string;
  targets(): readonly string[];
  /** The targets whose position the operator states, by address (the vantage checks' landmarks). */
  landmarks(): ReadonlyMap<string, Position>;
  /** Reads the file again; on failure the previous list stays in use (and the failure is logged). */
  reload(): void;
  close(): void;
}

function read(file: string): TargetList {
  let text: string;
  try {
    if (statSync(file).size > MAX_LIST_BYTES) {
      throw new DetourwatchError('INPUT_TOO_LARGE', `it is larger than ${MAX_LIST_BYTES} bytes`);
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `cannot read the target list ${file}: ${describeError(err)}`,
    );
  }
  return parseTargetList(text, file);
}

/**
 * The operator's target list (or the shipped default), watched so edits apply without a restart. Polling
 * (watchFile) rather than fs.watch: editors that save by replacing the file keep working.
 */
export function openCatalogue(options: {
  file: string;
  watch: boolean;
  log: (line: string) => void;
}): Catalogue {
  const { file, log } = options;
  const first = read(file);
  for (const p of first.problems) log(`targets: skipped ${p}`);
  let targets: readonly string[] = first.targets;
  let landmarks: ReadonlyMap<string, Position> = first.landmarks;

  const reload = (): void => {
    try {
      const next = read(file);
      for (const p of next.problems) log(`targets: skipped ${p}`);
      targets = next.targets;
      landmarks = next.landmarks;
      log(`targets: ${targets.length} targets (${landmarks.size} landmarks) from ${file}`);
    } catch (err) {
      log(`targets: keeping the previous ${targets.length} targets: ${describeError(err)}`);
    }
  };
  if (options.watch) {
    watchFile(file, { interval: 1000, persistent: false }, (now, before) => {
      if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) reload();
    });
  }
  return {
    file,
    targets: () => targets,
    landmarks: () => landmarks,
    reload,
    close: () => {
      if (options.watch) unwatchFile(file);
    },
  };
}
