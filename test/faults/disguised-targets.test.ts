/**
 * Fault: disguised targets (issue 16, item 5).
 *
 * Proves that an IPv6 address carrying an IPv4 address (6to4, Teredo, NAT64, IPv4-mapped, IPv4-compatible)
 * is judged by the IPv4 address it reaches, and that a zone index is never accepted, at every point where
 * the product decides about an address:
 * - the agent's check of an address target (agent/probe.ts) refuses a special one, naming the IPv4 inside;
 * - a name whose lookup answers with such a form is refused the same way, and no tool is started;
 * - the coordinator's mesh never offers such an agent address to other agents;
 * - the locator never asks a database about one, and looks up a global one as the IPv4 address it reaches.
 * Control rows (plain 10.0.0.1 and 8.8.8.8) show that each check can say both yes and no.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ToolRunner } from '../../agent/engines/exec.ts';
import { resolveTarget } from '../../agent/engines/resolve.ts';
import { runTrace } from '../../agent/engines/run.ts';
import { engineProbe } from '../../agent/probe.ts';
import { DetourwatchError } from '../../protocol/errors.ts';
import { createLocator } from '../../server/geo/locator.ts';
import type { ConnectedAgent } from '../../server/hub/hub.ts';
import { meshTargets } from '../../server/schedule/scheduler.ts';
import { writeAsnDb, writeCityDb } from '../helpers/mmdb-writer.ts';

interface Row {
  form: string;
  address: string;
  /** Null: traced. Otherwise text the refusal must contain (the IPv4 address inside, or the zone). */
  refusedNaming: string | null;
  /** For a traced row: the address the tool is given. */
  tracedAs?: string;
}

const row = (form: string, address: string, refusedNaming: string | null, tracedAs?: string): Row => ({
  form,
  address,
  refusedNaming,
  tracedAs,
});

const ROWS: Row[] = [
  row('plain private IPv4 (control)', '10.0.0.1', '10.0.0.1'),
  row('plain global IPv4 (control)', '8.8.8.8', null, '8.8.8.8'),
  row('6to4 carrying a private address', '2002:0a00:0001::1', '10.0.0.1'),
  row('6to4 carrying loopback', '2002:7f00:1::1', '127.0.0.1'),
  row('6to4 carrying CGNAT', '2002:6440:1::1', '100.64.0.1'),
  row('6to4 carrying link-local', '2002:a9fe:a9fe::1', '169.254.169.254'),
  row('6to4 carrying a global address', '2002:0808:0808::1', null, '2002:808:808::1'),
  row('Teredo, private client', '2001:0:4136:e378:8000:63bf:f5ff:fffe', '10.0.0.1'),
  row('Teredo, loopback client', '2001:0:4136:e378::80ff:fffe', '127.0.0.1'),
  row('Teredo, private server', '2001:0:c0a8:101:8000:63bf:f7f7:f7f7', '192.168.1.1'),
  row(
    'Teredo, global client and server',
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
    null,
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
  ),
  row('NAT64 well-known prefix, private', '64:ff9b::10.0.0.1', '10.0.0.1'),
  row('NAT64 well-known prefix, hex, loopback', '64:ff9b::7f00:1', '127.0.0.1'),
  row('NAT64 well-known prefix, global', '64:ff9b::8.8.8.8', null, '64:ff9b::808:808'),
  row('NAT64 local-use prefix, private', '64:ff9b:1::192.168.0.1', '192.168.0.1'),
  row('NAT64 local-use prefix, global (only its network knows)', '64:ff9b:1::8.8.8.8', '8.8.8.8'),
  row('IPv4-mapped, private', '::ffff:10.0.0.1', '10.0.0.1'),
  row('IPv4-mapped, hex, loopback', '::ffff:7f00:1', '127.0.0.1'),
  row('IPv4-mapped, global', '::ffff:8.8.8.8', null, '8.8.8.8'),
  row('IPv4-compatible (deprecated), private', '::10.0.0.1', '10.0.0.1'),
  row('IPv4-compatible (deprecated), global: routed by nobody', '::8.8.8.8', '8.8.8.8'),
  row('link-local with a zone', 'fe80::1%eth0', '%eth0'),
  row('global with a zone', '2001:4860:4860::8888%eth0', '%eth0'),
];

const REFUSED = ROWS.filter((r) => r.refusedNaming !== null);
const TRACED = ROWS.filter((r) => r.refusedNaming === null);
const hasZone = (r: Row) => r.address.includes('%');

function refusal(run: () => unknown): DetourwatchError {
  try {
    run();
  } catch (err) {
    if (err instanceof DetourwatchError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('an address target, as the agent checks it on arrival', () => {
  const probe = engineProbe('scamper', false);
  const lab = engineProbe('scamper', true);

  it.each(REFUSED)('$form: $address is refused, naming $refusedNaming', ({ address, refusedNaming }) => {
    const err = refusal(() => probe.check(address));
    expect(err.code).toBe('TARGET_REFUSED');
    expect(err.message).toContain(refusedNaming);
  });

  it.each(TRACED)('$form: $address is traced', ({ address }) => {
    expect(() => probe.check(address)).not.toThrow();
  });

  it.each(REFUSED.filter((r) => !hasZone(r)))('$form: $address is traced in lab mode', ({ address }) => {
    expect(() => lab.check(address)).not.toThrow();
  });

  it.each(ROWS.filter(hasZone))('$form: $address is refused even in lab mode', ({ address }) => {
    expect(refusal(() => lab.check(address)).code).toBe('TARGET_REFUSED');
  });
});

describe('a name that resolves to the form at run time', () => {
  const base = { allowSpecialTargets: false, timeoutMs: 2_000 };
  const answering = (address: string) => async () => address;

  it.each(REFUSED)('$form: a name resolving to $address is refused', async ({ address, refusedNaming }) => {
    const err = await resolveTarget('disguised.example', base, answering(address)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DetourwatchError);
    expect((err as DetourwatchError).code).toBe('TARGET_REFUSED');
    expect((err as DetourwatchError).message).toContain('disguised.example');
    expect((err as DetourwatchError).message).toContain(refusedNaming);
  });

  it.each(TRACED)(
    '$form: a name resolving to $address is traced as $tracedAs',
    async ({ address, tracedAs }) => {
      // The tool gets the checked address, never the name; an IPv4-mapped answer is traced over IPv4.
      const resolved = await resolveTarget('fine.example', base, answering(address));
      expect(resolved).toEqual({ address: tracedAs, version: tracedAs?.includes(':') ? 6 : 4 });
    },
  );

  it('starts no tool for any refused form, given as an address or reached through a name', async () => {
    const started: string[][] = [];
    const recording: ToolRunner = async (_binary, args) => {
      started.push([...args]);
      return { stdout: '', stderr: '' };
    };
    for (const { address } of REFUSED) {
      await expect(
        runTrace('traceroute', address, { timeoutMs: 2_000 }, { runner: recording }),
      ).rejects.toMatchObject({ code: 'TARGET_REFUSED' });
      await expect(
        runTrace(
          'traceroute',
          'disguised.example',
          { timeoutMs: 2_000 },
          {
            runner: recording,
            lookup: answering(address),
          },
        ),
      ).rejects.toMatchObject({ code: 'TARGET_REFUSED' });
    }
    expect(started).toEqual([]);
    // The same runner is reached for a traced form: the refusals above were not a runner that never runs.
    await runTrace(
      'traceroute',
      'fine.example',
      { timeoutMs: 2_000 },
      {
        runner: recording,
        lookup: answering('2002:0808:0808::1'),
      },
    ).catch(() => undefined);
    expect(started).toHaveLength(1);
    expect(started[0]).toContain('2002:808:808::1');
  });
});

describe("the coordinator's mesh of agent addresses", () => {
  it('offers only agents whose address reaches a global host', () => {
    const rows = ROWS.filter((r) => !hasZone(r));
    const agents: ConnectedAgent[] = rows.map((r, i) => ({
      agentId: `ag_${i}`,
      name: r.form,
      address: r.address,
      limits: { maxConcurrent: 1, maxPerMinute: 1 },
      acceptsTasks: true,
    }));
    expect(meshTargets(agents)).toEqual(rows.filter((r) => r.refusedNaming === null).map((r) => r.address));
  });
});

describe('geolocation of a disguised address', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-disguised-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cityDb = path.join(dir, 'city.mmdb');
  const asnDb = path.join(dir, 'asn.mmdb');
  // A database that wrongly answers for special space, and places the IPv6 forms' own prefixes elsewhere
  // than the IPv4 hosts they reach, so the test can tell which one was asked.
  const wrong = { country: 'AU', city: 'Sydney', lat: -33.8688, lon: 151.2093 };
  writeCityDb(
    cityDb,
    [
      { network: '10.0.0.0/8', ...wrong },
      { network: '127.0.0.0/8', ...wrong },
      { network: '100.64.0.0/10', ...wrong },
      { network: '169.254.0.0/16', ...wrong },
      { network: '192.168.0.0/16', ...wrong },
      { network: '8.8.8.0/24', country: 'US', city: 'Mountain View', lat: 37.386, lon: -122.0838 },
      { network: '2002::/16', country: 'NL', city: 'Amsterdam', lat: 52.37, lon: 4.89 },
      { network: '2001::/32', country: 'DE', city: 'Berlin', lat: 52.52, lon: 13.4 },
      { network: '64:ff9b::/32', country: 'FR', city: 'Paris', lat: 48.85, lon: 2.35 },
    ],
    'geoip2',
  );
  writeAsnDb(asnDb, [
    { network: '10.0.0.0/8', asn: 64512, org: 'Should Never Appear' },
    { network: '192.168.0.0/16', asn: 64513, org: 'Should Never Appear' },
    { network: '8.8.8.0/24', asn: 15169, org: 'GOOGLE' },
    { network: '2002::/16', asn: 6939, org: 'A 6to4 relay' },
  ]);
  const locator = createLocator({ cityDb, asnDb });

  it.each(REFUSED.filter((r) => !hasZone(r)))('$form: $address is never looked up', ({ address }) => {
    const info = locator.locate(address);
    expect(info.class).not.toBe('global');
    expect(info.location).toBeNull();
    expect(info.asn).toBeNull();
  });

  it.each(TRACED)('$form: $address is looked up as the IPv4 host it reaches', ({ address }) => {
    const info = locator.locate(address);
    expect(info.address).toBe(address);
    expect(info.class).toBe('global');
    expect(info.location).toMatchObject({ country: 'US', city: 'Mountain View' });
    expect(info.asn).toMatchObject({ asn: 15169 });
  });
});
