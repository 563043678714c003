import { describe, expect, it } from 'vitest';
import { ENGINES } from '../../agent/engines/registry.ts';
import { ENGINE_NAMES, type ProbeProtocol, type ResolvedTarget } from '../../agent/engines/types.ts';

const targets: ResolvedTarget[] = [
  { address: '8.8.8.8', version: 4 },
  { address: '2001:4860:4860::8888', version: 6 },
];
const protocols: ProbeProtocol[] = ['icmp', 'udp'];
const cases = ENGINE_NAMES.flatMap((engine) =>
  targets.flatMap((target) => protocols.map((protocol) => ({ engine, target, protocol }))),
);

describe('engine command lines', () => {
  it.each(cases)(
    '$engine $protocol to $target.address ends option parsing before the address',
    ({ engine, target, protocol }) => {
      const args = ENGINES[engine].args(target, { maxHops: 17, protocol });
      expect(args.slice(-2)).toEqual(['--', target.address]);
      expect(args.filter((a) => a === target.address)).toHaveLength(1);
      // The hop limit reaches the tool, in its own argument or inside scamper's command string.
      expect(args.some((a) => a === '17' || / -m 17(\s|$)/.test(a))).toBe(true);
    },
  );

  it('asks scamper for Paris traceroute with every attempt sent', () => {
    for (const protocol of protocols) {
      const command = ENGINES.scamper.args(targets[0] as ResolvedTarget, { maxHops: 30, protocol })[3] ?? '';
      expect(command).toMatch(new RegExp(`^trace -P ${protocol}-paris `));
      expect(command).toContain(' -Q');
      expect(ENGINES.scamper.method(protocol)).toBe(`${protocol}-paris`);
    }
  });

  it.each(['mtr', 'traceroute'] as const)(
    'tells %s the address family and, for UDP or ICMP, the method',
    (engine) => {
      for (const target of targets) {
        const icmp = ENGINES[engine].args(target, { maxHops: 30, protocol: 'icmp' });
        const udp = ENGINES[engine].args(target, { maxHops: 30, protocol: 'udp' });
        expect(icmp).toContain(`-${target.version}`);
        expect(icmp).toContain('-n');
        // mtr sends ICMP unless told -u; traceroute sends UDP unless told -I.
        const flag = engine === 'mtr' ? '-u' : '-I';
        expect(engine === 'mtr' ? udp : icmp).toContain(flag);
        expect(engine === 'mtr' ? icmp : udp).not.toContain(flag);
      }
    },
  );
});

describe('output checks', () => {
  it('accepts scamper JSON lines with a trace record and refuses cycle records alone', () => {
    const cycle = '{"type":"cycle-start", "id":0}\n{"type":"cycle-stop", "id":0}\n';
    expect(() => ENGINES.scamper.checkOutput(cycle)).toThrow(/trace record/);
    expect(() => ENGINES.scamper.checkOutput(`${cycle}{"type":"trace", "hops":[]}\n`)).not.toThrow();
    expect(() => ENGINES.scamper.checkOutput('{"type":"trace", broken')).toThrow(/trace record/);
  });

  it('accepts an mtr report with hubs and refuses anything else', () => {
    expect(() => ENGINES.mtr.checkOutput('{"report":{"mtr":{},"hubs":[]}}')).not.toThrow();
    expect(() => ENGINES.mtr.checkOutput('{"report":{"mtr":{}}}')).toThrow(/report\.hubs/);
    expect(() => ENGINES.mtr.checkOutput('null')).toThrow(/report\.hubs/);
    expect(() => ENGINES.mtr.checkOutput('')).toThrow(/report\.hubs/);
  });

  it('accepts traceroute text with its header line and refuses anything else', () => {
    expect(() =>
      ENGINES.traceroute.checkOutput('traceroute to 8.8.8.8 (8.8.8.8), 30 hops max\n'),
    ).not.toThrow();
    expect(() => ENGINES.traceroute.checkOutput(' 1  192.0.2.1  0.1 ms\n')).toThrow(/header/);
  });
});
