import { describe, expect, it } from 'vitest';
import { normaliseTarget, parseTargetList } from '../../server/schedule/target-list.ts';

describe('target lists', () => {
  it('reads addresses and hostnames, skips comments and blanks, dedupes, reports bad lines by number', () => {
    const text = [
      '# US endpoints',
      '',
      '192.0.2.1',
      '  Route-Views.RouteViews.org   # Eugene',
      '2001:db8::1',
      '192.0.2.1',
      '-oBadOption',
      'two words',
      '::ffff:198.51.100.7',
    ].join('\r\n');
    const { targets, problems } = parseTargetList(text, 'list.txt');
    expect(targets).toEqual(['192.0.2.1', 'route-views.routeviews.org', '2001:db8::1', '198.51.100.7']);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^list\.txt:7: /);
    expect(problems[1]).toMatch(/^list\.txt:8: /);
  });

  it('normalises what the API accepts the same way', () => {
    expect(normaliseTarget('Example.COM.')).toBe('example.com');
    expect(() => normaliseTarget('http://example.com')).toThrow(/refused/);
  });
});
