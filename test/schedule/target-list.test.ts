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

describe('landmarks in a target list', () => {
  it('reads `ADDRESS LAT,LON` as a target with a stated position, and refuses a placed hostname', () => {
    const text = [
      '192.0.2.80 34.05,-118.24',
      '192.0.2.81   40.71 , -74.01 # NY',
      'example.com 1,2',
      '192.0.2.82 91,0',
    ];
    const { targets, landmarks, problems } = parseTargetList(text.join('\n'), 'l.txt');
    expect(targets).toEqual(['192.0.2.80', '192.0.2.81']);
    expect([...landmarks]).toEqual([
      ['192.0.2.80', { lat: 34.05, lon: -118.24 }],
      ['192.0.2.81', { lat: 40.71, lon: -74.01 }],
    ]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^l\.txt:3: .*landmark must be an IP address/);
    expect(problems[1]).toMatch(/^l\.txt:4: .*latitude 91/);
  });
});
