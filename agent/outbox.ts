import type { Dirent } from 'node:fs';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DetourwatchError, describeError } from '../protocol/errors.ts';
import type { ResultMessage } from '../protocol/messages.ts';
import { MAX_MESSAGE_BYTES } from '../protocol/messages.ts';
import type { Logger } from './log.ts';
import {
  classifyOutboxName,
  decodeStoredResult,
  encodeResult,
  QUARANTINE_DIR,
  resultFileName,
  tempFileName,
} from './outbox-files.ts';

export interface OutboxEntry {
  resultId: string;
  fileName: string;
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/**
 * The agent's durable outbox: a result is on disk (written under a temporary name, fsync'd, renamed, and
 * the directory fsync'd) before it is first sent, and its file is deleted only when the coordinator
 * acknowledges it. A crash at any point leaves either no file (never sent) or a whole one (sent again;
 * the coordinator deduplicates by resultId). Nothing here throws on a bad file: it is quarantined.
 */
export class Outbox {
  /** Names carry a strictly increasing time, so results stored in the same millisecond keep their order. */
  private lastSavedAt = 0;

  private constructor(
    readonly dir: string,
    private readonly log: Logger,
    private readonly clock: () => number,
  ) {}

  /** Opens (creating) the directory, removes half-written files and returns what still waits, oldest first. */
  static async open(
    dir: string,
    log: Logger,
    clock: () => number = Date.now,
  ): Promise<{ outbox: Outbox; pending: OutboxEntry[] }> {
    const outbox = new Outbox(dir, log, clock);
    let names: Dirent[];
    try {
      await fs.mkdir(path.join(dir, QUARANTINE_DIR), { recursive: true, mode: 0o700 });
      await fs.access(dir, constants.W_OK);
      names = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new DetourwatchError(
        'CONFIG_INVALID',
        `cannot use ${dir} as the outbox (${describeError(err)}); pass --outbox with a writable directory`,
        { cause: err },
      );
    }
    const pending: OutboxEntry[] = [];
    let cleaned = 0;
    for (const dirent of names) {
      if (dirent.isDirectory()) continue;
      const name = classifyOutboxName(dirent.name);
      if (name.kind === 'temp') {
        await fs.rm(path.join(dir, dirent.name), { force: true });
        cleaned++;
      } else if (name.kind === 'result' && dirent.isFile()) {
        pending.push({ resultId: name.resultId, fileName: dirent.name });
      } else {
        await outbox.quarantine(dirent.name, 'not a result file written by this agent');
      }
    }
    if (cleaned > 0)
      log.warn('outbox-cleaned', { dir, tempFiles: cleaned, why: 'left by an interrupted write' });
    pending.sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
    log.info('outbox-opened', { dir, pending: pending.length });
    return { outbox, pending };
  }

  /** Makes a result durable; resolves only once it survives a power cut. */
  async put(result: ResultMessage): Promise<OutboxEntry> {
    const text = encodeResult(result);
    this.lastSavedAt = Math.max(this.clock(), this.lastSavedAt + 1);
    const fileName = resultFileName(this.lastSavedAt, result.resultId);
    const temp = path.join(this.dir, tempFileName(result.resultId));
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, path.join(this.dir, fileName));
    await this.syncDir();
    return { resultId: result.resultId, fileName };
  }

  /** The stored result, or null when it is gone (already acknowledged) or was unreadable (quarantined). */
  async read(entry: OutboxEntry): Promise<ResultMessage | null> {
    const file = path.join(this.dir, entry.fileName);
    try {
      const stat = await fs.stat(file);
      if (stat.size > MAX_MESSAGE_BYTES) {
        await this.quarantine(entry.fileName, `${stat.size} bytes, larger than any valid result`);
        return null;
      }
      return decodeStoredResult(await fs.readFile(file, 'utf8'), entry.resultId);
    } catch (err) {
      if (errno(err) === 'ENOENT') return null;
      await this.quarantine(entry.fileName, describeError(err));
      return null;
    }
  }

  async remove(entry: OutboxEntry): Promise<void> {
    await fs.rm(path.join(this.dir, entry.fileName), { force: true });
  }

  /** Moves a bad file aside for a human to look at; never throws, so one bad file cannot stop delivery. */
  private async quarantine(fileName: string, reason: string): Promise<void> {
    // A timestamp prefix keeps two bad files of the same name from overwriting each other.
    const target = path.join(this.dir, QUARANTINE_DIR, `${this.clock()}-${fileName}`);
    try {
      await fs.rename(path.join(this.dir, fileName), target);
      this.log.warn('outbox-quarantined', { file: fileName, movedTo: target, reason });
    } catch (err) {
      this.log.error('outbox-quarantined', { file: fileName, reason, moveFailed: describeError(err) });
    }
  }

  private async syncDir(): Promise<void> {
    const handle = await fs.open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
