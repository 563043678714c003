/**
 * `detourwatch maintenance add|list|remove` against a real store on each engine (--data or --database, as the
 * other local commands), and serve's --webhook-* flags and --late-after read by the one option reader.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadHistoryConfig } from '../../server/history/history-options.ts';
import { runCli } from '../helpers/run-cli.ts';
import { describeEngines, storeEngines, type TestStore } from '../history/test-store.ts';

const engines = await storeEngines('detourwatch maintenance');
let env: TestStore;

describeEngines(engines, (engine) => {
  beforeEach(async () => {
    env = await engine.open();
    await env.store.recordHello({
      tokenId: (await env.store.createToken('seattle-1', 'hash-1', new Date().toISOString())).id,
      name: 'seattle-1',
      location: null,
      engines: ['mtr'],
      limits: { maxConcurrent: 2, maxPerMinute: 30 },
      agentVersion: '1.0.0',
      protocolVersion: 1,
      address: '198.51.100.7',
      at: new Date().toISOString(),
    });
  });
  afterEach(() => env.cleanup());

  it('adds windows for an agent by name and for a target, lists them, removes one', async () => {
    const [agent] = await env.store.listAgents();
    const byName = await runCli([
      'maintenance',
      'add',
      '--agent',
      'seattle-1',
      '--for',
      '2h',
      '--reason',
      'router swap',
      ...env.cliArgs,
    ]);
    expect(byName.stderr).toBe('');
    expect(byName.status).toBe(0);
    expect(byName.stdout).toMatch(/^maintenance window #(\d+) for agent seattle-1: .* \(router swap\)\n$/);
    const from = new Date(Date.now() + 3_600_000).toISOString();
    const until = new Date(Date.now() + 5 * 3_600_000).toISOString();
    const byTarget = await runCli([
      'maintenance',
      'add',
      '--target',
      '203.0.113.0/24',
      '--from',
      from,
      '--until',
      until,
      '--reason',
      'renumbering',
      ...env.cliArgs,
    ]);
    expect(byTarget.status).toBe(0);
    const windows = await env.store.listMaintenanceWindows(null);
    expect(windows.map((w) => [w.agentId, w.target, w.reason])).toEqual([
      [agent?.id, null, 'router swap'],
      [null, '203.0.113.0/24', 'renumbering'],
    ]);
    expect(windows[1]?.startsAt).toBe(Date.parse(from));

    const list = await runCli(['maintenance', 'list', ...env.cliArgs]);
    expect(list.status).toBe(0);
    const rows = list.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^ID\s+COVERS\s+FROM\s+UNTIL\s+NOW\s+REASON$/);
    expect(rows.slice(1).map((r) => r.includes('running'))).toEqual([true, false]);
    expect(rows[2]).toContain('to come');

    const removed = await runCli(['maintenance', 'remove', String(windows[0]?.id), ...env.cliArgs]);
    expect(removed.stdout).toBe(`removed maintenance window #${windows[0]?.id}\n`);
    const again = await runCli(['maintenance', 'remove', String(windows[0]?.id), ...env.cliArgs]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`no maintenance window #${windows[0]?.id}`);
  });

  it('refuses what is not a window, naming the flag', async () => {
    const cases: [string[], string][] = [
      [
        ['--agent', 'nobody', '--for', '1h', '--reason', 'r'],
        '--agent: no agent with the id or name "nobody"',
      ],
      [['--target', '203.0.113.0/40', '--for', '1h', '--reason', 'r'], '--target:'],
      [
        ['--agent', 'seattle-1', '--reason', 'r'],
        '--until: give an end (until TIME) or a length (for DURATION)',
      ],
      [['--agent', 'seattle-1', '--for', 'soon', '--reason', 'r'], '--for:'],
      [['--agent', 'seattle-1', '--for', '1h'], '--reason:'],
    ];
    for (const [flags, message] of cases) {
      const run = await runCli(['maintenance', 'add', ...flags, ...env.cliArgs]);
      expect(run.status, flags.join(' ')).not.toBe(0);
      expect(run.stderr, flags.join(' ')).toContain(message);
    }
    expect(await env.store.listMaintenanceWindows(null)).toEqual([]);
    const list = await runCli(['maintenance', 'list', '--reason', 'x', ...env.cliArgs]);
    expect(list.stderr).toContain('maintenance list takes no --reason');
  });
});

describe("serve's alert options", () => {
  it('make one rule for every --webhook URL from the --webhook-* flags, and read --late-after', () => {
    const config = loadHistoryConfig(
      [
        '--webhook',
        'http://127.0.0.1:1/a',
        '--webhook-min-confidence',
        'confirmed',
        '--webhook-countries',
        'cn,RU',
        '--webhook-asns',
        'AS4134,4809',
        '--late-after',
        '1h',
      ],
      { DETOURWATCH_WEBHOOK_WITNESSES: '3' },
    );
    expect(config.webhooks[0]?.rules).toEqual([
      { minConfidence: 'confirmed', countries: ['CN', 'RU'], asns: [4134, 4809], witnesses: 3, late: true },
    ]);
    expect(config.lateAfterMs).toBe(3_600_000);
    expect(loadHistoryConfig(['--webhook', 'http://127.0.0.1:1/a'], {}).webhooks[0]?.rules).toEqual([]);
    expect(() => loadHistoryConfig(['--webhook-countries', 'CN'], {})).toThrow(
      '--webhook-countries filters the --webhook URLs, and none is given',
    );
    expect(() =>
      loadHistoryConfig(
        ['--webhook-min-confidence', 'sure', '--webhook-asns', 'x', '--late-after', '5s'],
        {},
      ),
    ).toThrow(/webhook-min-confidence.*\n?.*webhook-asns|webhook-asns.*webhook-min-confidence/s);
  });
});
