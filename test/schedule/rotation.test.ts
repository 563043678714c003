import { describe, expect, it } from 'vitest';
import { dueTargets } from '../../server/schedule/rotation.ts';

describe('due targets', () => {
  it('new targets are due at once, measured ones after their interval, longest overdue first', () => {
    const due = new Map<string, number>();
    expect(dueTargets(due, ['a', 'b'], 100)).toEqual(['a', 'b']);
    due.set('a', 500);
    due.set('b', 300);
    expect(dueTargets(due, ['a', 'b'], 200)).toEqual([]);
    expect(dueTargets(due, ['a', 'b'], 600)).toEqual(['b', 'a']);
  });

  it('forgets targets removed from the catalogue', () => {
    const due = new Map([
      ['gone', 0],
      ['kept', 0],
    ]);
    expect(dueTargets(due, ['kept'], 10)).toEqual(['kept']);
    expect([...due.keys()]).toEqual(['kept']);
  });
});
