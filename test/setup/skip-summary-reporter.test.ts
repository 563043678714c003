import { afterEach, describe, expect, it, vi } from 'vitest';
import { requirement, rootUsable, SKIP_REASONS, skipUnless } from '../helpers/skips.ts';
import { classifyReason, summaryLine } from './skip-summary-reporter.ts';

describe('skip reasons', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  // The reasons of SKIPPED lines printed without the helper, as the suites print them today.
  it.each([
    ['building network namespaces needs root', SKIP_REASONS.root],
    ['traceroute -I needs root', SKIP_REASONS.root],
    ['scamper, mtr, traceroute not installed', SKIP_REASONS.tracer],
    ['mtr is not installed (apt-get install it)', SKIP_REASONS.tracer],
    ['../shared/fixtures/maxmind/MaxMind-DB is absent', SKIP_REASONS.sharedFixtures],
    ['browser tests need /usr/bin/chromium (apt-get install chromium); it is absent', SKIP_REASONS.chromium],
    ['the sysctl binary is missing (Debian package procps)', 'no network namespaces (iproute2, procps)'],
    ['the moon is in the wrong phase', 'the moon is in the wrong phase'],
  ])('"%s" counts as %s', (text, label) => {
    expect(classifyReason(text)).toBe(label);
  });

  it('sums up largest group first, or says none', () => {
    const files = new Map<string, number>();
    expect(summaryLine([])).toBe('skipped by reason: none');
    expect(
      summaryLine([
        { reason: 'no scamper/mtr/traceroute', count: 12, files },
        { reason: 'not root', count: 9, files },
      ]),
    ).toBe('skipped by reason: 12 skipped: no scamper/mtr/traceroute; 9 skipped: not root');
  });

  it('skipUnless skips, says why on one loud line and records every unmet reason', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const met = requirement(true, 'no unicorns', 'there is a unicorn');
    expect(skipUnless('the unicorn test', met)).toEqual({ skip: false, meta: {} });
    expect(warn).not.toHaveBeenCalled();
    const options = skipUnless(
      'the rainbow test',
      met,
      requirement(false, 'no rainbow', 'the rainbow is absent'),
      requirement(false, 'no pot', 'the pot of gold is absent'),
    );
    expect(options).toEqual({ skip: true, meta: { skipReason: 'no rainbow and no pot' } });
    expect(warn.mock.calls).toEqual([
      ['SKIPPED: the rainbow test because the rainbow is absent; the pot of gold is absent'],
    ]);
  });

  it('DETOURWATCH_TEST_NO_ROOT=1 makes root unusable even for root', () => {
    vi.stubEnv('DETOURWATCH_TEST_NO_ROOT', '1');
    expect(rootUsable()).toMatchObject({ met: false, reason: SKIP_REASONS.root });
    vi.stubEnv('DETOURWATCH_TEST_NO_ROOT', '');
    expect(rootUsable().met).toBe(process.getuid?.() === 0);
  });
});
