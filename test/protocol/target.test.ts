import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { checkTargetAddress, parseTarget } from '../../protocol/target.ts';

function refusal(run: () => unknown): DetourwatchError {
  try {
    run();
  } catch (err) {
    if (err instanceof DetourwatchError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('parseTarget', () => {
  it.each([
    ['8.8.8.8', 4],
    ['2001:4860:4860::8888', 6],
    ['::1', 6],
    ['192.0.2.1', 4],
  ] as const)('accepts the address %s as IPv%i', (input, version) => {
    expect(parseTarget(input)).toEqual({ kind: 'address', address: input, version });
  });

  it('traces an IPv4-mapped IPv6 address over IPv4', () => {
    expect(parseTarget('::ffff:8.8.8.8')).toEqual({ kind: 'address', address: '8.8.8.8', version: 4 });
    expect(parseTarget('::FFFF:0808:0808')).toEqual({ kind: 'address', address: '8.8.8.8', version: 4 });
  });

  it('gives IPv6 addresses back in canonical spelling, so lists and schedules compare them as equal', () => {
    expect(parseTarget('2001:4860:4860:0:0:0:0:8888')).toEqual({
      kind: 'address',
      address: '2001:4860:4860::8888',
      version: 6,
    });
    expect(parseTarget('2002:0808:0808::1')).toEqual({
      kind: 'address',
      address: '2002:808:808::1',
      version: 6,
    });
  });

  it.each([
    ['example.com', 'example.com'],
    ['Example.COM.', 'example.com'],
    ['a-b.c-d.example', 'a-b.c-d.example'],
    ['localhost', 'localhost'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    [`${'a'.repeat(63)}.example`, `${'a'.repeat(63)}.example`],
  ])('accepts the hostname %s', (input, name) => {
    expect(parseTarget(input)).toEqual({ kind: 'hostname', name });
  });

  it.each([
    ['', 'empty'],
    ['-v', 'option-like'],
    ['--help', 'option-like'],
    ['-c.example', 'leading hyphen in a label'],
    ['example-.com', 'trailing hyphen in a label'],
    ['exa mple.com', 'whitespace'],
    [' 8.8.8.8', 'leading whitespace'],
    ['8.8.8.8\n', 'trailing newline'],
    ['example.com;reboot', 'shell metacharacter'],
    ['$(id)', 'shell substitution'],
    ['a..b', 'empty label'],
    ['.', 'root only'],
    [`${'a'.repeat(64)}.example`, 'label over 63 characters'],
    [`${'a.'.repeat(127)}com`, 'name over 253 characters'],
    ['127.1', 'numeric shorthand a resolver reads as 127.0.0.1'],
    ['2130706433', 'decimal IPv4'],
    ['0x7f.0.0.1', 'hex IPv4 with a numeric last label'],
    ['127.000.000.001', 'zero-padded IPv4'],
    ['fe80::1%eth0', 'zone index'],
    ['2001:4860:4860::8888%eth0', 'zone index on a global address'],
    ['::ffff:8.8.8.8%eth0', 'zone index on an IPv4-mapped address'],
    ['[::1]', 'brackets'],
    ['under_score.example', 'underscore'],
  ])('refuses %j (%s)', (input) => {
    expect(refusal(() => parseTarget(input)).code).toBe('TARGET_REFUSED');
  });
});

describe('checkTargetAddress', () => {
  it.each([
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '127.0.0.1',
    '169.254.1.1',
    '100.64.0.1',
    '192.0.2.1',
    '198.51.100.7',
    '203.0.113.9',
    '224.0.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00::1',
    '2001:db8::1',
    'ff02::1',
  ])('refuses the special address %s by default and allows it when asked', (address) => {
    const err = refusal(() => checkTargetAddress(address, false));
    expect(err.code).toBe('TARGET_REFUSED');
    expect(err.message).toContain(address);
    expect(() => checkTargetAddress(address, true)).not.toThrow();
  });

  it.each(['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888'])('accepts the global address %s', (address) => {
    expect(() => checkTargetAddress(address, false)).not.toThrow();
  });
});

describe('checkTargetAddress and zones', () => {
  it.each(['fe80::1%eth0', '2001:4860:4860::8888%eth0'])(
    'refuses %s even when special targets are allowed',
    (address) => {
      const err = refusal(() => checkTargetAddress(address, true));
      expect(err.code).toBe('TARGET_REFUSED');
      expect(err.message).toContain('zone');
    },
  );

  it('shows the target as the user gave it and names the address judged', () => {
    const err = refusal(() => checkTargetAddress('10.0.0.1', false, 'sneaky.example'));
    expect(err.message).toContain('sneaky.example');
    expect(err.message).toContain('10.0.0.1 is private');
  });
});
