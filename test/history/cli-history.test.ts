/**
 * `detourwatch detours` and `detourwatch incidents` on a real store, read directly (--data) and through a
 * running coordinator's API (--server): the same answers either way.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetourItem, IncidentItem } from '../../protocol/history-api.ts';
import { type HistoryCoordinator, startHistoryCoordinator } from '../api/history-coordinator.ts';
import { readCsv } from '../export/rfc4180.ts';
import { runCli } from '../helpers/run-cli.ts';
import { detourResult, domesticResult } from './world-results.ts';

const T = 1_760_003_200;
let h: HistoryCoordinator;
let data: string;
beforeAll(async () => {
  h = await startHistoryCoordinator();
  data = path.join(h.dir, 'data');
  await h.importResults([
    domesticResult(T),
    detourResult(T + 600),
    detourResult(T + 1200),
    detourResult(T + 86_400, { via: '192.0.2.65' }),
  ]);
});
afterAll(() => h?.close());

const sources = () => [
  ['--data', data],
  ['--server', h.url],
];

describe('detourwatch detours', () => {
  it('prints a table of detours, newest first, the same from the store and from the API', async () => {
    const outputs: string[] = [];
    for (const source of sources()) {
      const run = await runCli(['detours', ...source]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      outputs.push(run.stdout);
    }
    expect(outputs[0]).toBe(outputs[1]);
    const [header, ...rows] = (outputs[0] ?? '').trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+STARTED\s+FROM\s+TO\s+CONFIDENCE\s+VANTAGE\s+VIA/);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => /confirmed\s+(verified|unverified|contradicted|-)\s+CN AS4134/.test(r))).toBe(
      true,
    );
    const ids = rows.map((r) => Number(r.split(/\s+/)[0]));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });

  it('filters with --via, --since and --until, and says when more match than --limit', async () => {
    for (const source of sources()) {
      const day = [
        '--since',
        new Date(T * 1000).toISOString(),
        '--until',
        new Date((T + 3600) * 1000).toISOString(),
      ];
      expect((await runCli(['detours', ...source, ...day])).stdout.trimEnd().split('\n')).toHaveLength(3);
      expect((await runCli(['detours', ...source, '--via', 'DE'])).stdout).toBe('No detour matches.\n');
      expect(
        (await runCli(['detours', ...source, '--via', 'cn', '--via', 'AS4134'])).stdout.trimEnd().split('\n'),
      ).toHaveLength(4);
      const limited = await runCli(['detours', ...source, '--limit', '1']);
      expect(limited.stdout.trimEnd().split('\n')).toHaveLength(2);
      expect(limited.stderr).toMatch(/more match/);
    }
  });

  it('exports every match as CSV, JSON and GeoJSON', async () => {
    for (const source of sources()) {
      const csv = readCsv((await runCli(['detours', ...source, '--format', 'csv'])).stdout);
      expect(csv).toHaveLength(4);
      const json = JSON.parse(
        (await runCli(['detours', ...source, '--format', 'json', '--via', 'AS4134'])).stdout,
      ) as DetourItem[];
      expect(json.map((d) => String(d.id))).toEqual(csv.slice(1).map((r) => r[0]));
      const geo = JSON.parse((await runCli(['detours', ...source, '--format', 'geojson'])).stdout);
      expect(geo.features).toHaveLength(3);
    }
  });

  it('names the flag that is wrong', async () => {
    const local = ['--data', data];
    for (const [args, message] of [
      [[...local, '--via', 'China'], /--via: "China" is neither a country code/],
      [[...local, '--since', 'last week'], /--since: "last week" is not a time/],
      [[...local, '--confidence', 'sure'], /--confidence: "sure" is not one of confirmed, probable/],
      [[...local, '--format', 'xml'], /--format must be one of table, csv, json, ndjson, geojson/],
      [[...local, '--format', 'csv', '--limit', '5'], /--limit applies to the table/],
      [[...local, '--server', 'http://127.0.0.1:1'], /give --data, --database or --server, not several/],
      [[...local, '--bogus'], /Unknown option '--bogus'/],
      [['--server', h.url, '--via', 'China'], /--via: "China" is neither/],
      [['--server', h.url, '--confidence', 'sure'], /--confidence: "sure" is not one of/],
    ] as const) {
      const run = await runCli(['detours', ...args]);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });

  it('says clearly when there is no store or no coordinator', async () => {
    const noStore = await runCli(['detours', '--data', path.join(h.dir, 'nothing')]);
    expect(noStore.status).toBe(1);
    expect(noStore.stderr).toMatch(/no detourwatch database at .*nothing/);
    const noServer = await runCli(['detours', '--server', 'http://127.0.0.1:9']);
    expect(noServer.status).toBe(1);
    expect(noServer.stderr).toMatch(/cannot reach the coordinator at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('detourwatch incidents', () => {
  it('lists incidents and shows one with its baseline and evidence, the same from the store and the API', async () => {
    const lists: string[] = [];
    const shows: string[] = [];
    for (const source of sources()) {
      const list = await runCli(['incidents', ...source]);
      expect(list.status).toBe(0);
      lists.push(list.stdout);
      const json = JSON.parse((await runCli(['incidents', ...source, '--format', 'json'])).stdout) as {
        incidents: IncidentItem[];
      };
      expect(json.incidents.map((i) => i.traceCount)).toEqual([1, 2]);
      const earlier = json.incidents[1];
      const show = await runCli(['incidents', 'show', String(earlier?.id), ...source]);
      expect(show.status).toBe(0);
      shows.push(show.stdout);
    }
    expect(lists[0]).toBe(lists[1]);
    expect(shows[0]).toBe(shows[1]);
    expect(lists[0]).toMatch(/closed\s+.*\s+2\s+region:37,-122\s+203\.0\.113\.0\/24\s+CN AS4134/);
    expect(shows[0]).toMatch(/incident #\d+ \(closed\): region:37,-122 -> 203\.0\.113\.0\/24 via CN AS4134/);
    // The usual path with its share of the window (issue 14).
    // The usual path of the window, detours included (3 of the pair's 4 judged traces went through CN).
    expect(shows[0]).toMatch(/203\.0\.113\.9: US CN, AS64500 AS4134 AS64501: 75% of 4 traces -> detour: /);
    expect(shows[0]?.match(/\n\d+\s+\S+\s+detour\s+confirmed/g)).toHaveLength(2);
  });

  it('filters by state and names bad input', async () => {
    expect((await runCli(['incidents', '--data', data, '--state', 'open'])).stdout).toBe(
      'No incident matches.\n',
    );
    const bad = await runCli(['incidents', '--data', data, '--state', 'ongoing']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--state: "ongoing" is not one of open, closed/);
    const missing = await runCli(['incidents', 'show', '99999', '--data', data]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no incident #99999/);
    expect((await runCli(['incidents', 'show', 'x', '--data', data])).status).toBe(2);
  });
});
