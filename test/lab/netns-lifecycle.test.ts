import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildTopology, canBuildLab, removeLeftoverNamespaces } from '../helpers/netns.ts';

const lab = canBuildLab();
if (!lab.ok) console.warn(`SKIPPED: lab netns lifecycle, because ${lab.why}`);

const namespaces = () =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '');

describe.skipIf(!lab.ok)('lab namespaces', () => {
  it('builds namespaces with loopback and links up and addressed, and removes them all on destroy', async () => {
    const topology = await buildTopology({
      nodes: [{ name: 'left' }, { name: 'right' }],
      links: [{ a: 'left', b: 'right', net4: '198.51.100.8/30', net6: '2001:db8:77::/64' }],
    });
    try {
      const names = ['left', 'right'].map((n) => topology.namespace(n));
      expect(namespaces()).toEqual(expect.arrayContaining(names));
      const lo = await topology.exec('left', 'ip', ['-o', 'link', 'show', 'lo']);
      expect(lo.stdout).toMatch(/[<,]UP[,>]/);
      const link = await topology.exec('right', 'ip', ['-o', 'addr', 'show', 'dev', 'v-left']);
      for (const family of [4, 6] as const) {
        expect(link.stdout).toContain(` ${topology.address('right', 'left', family)}/`);
      }
      const state = await topology.exec('right', 'ip', ['-o', 'link', 'show', 'v-left']);
      expect(state.stdout).toMatch(/state UP/);
    } finally {
      await topology.destroy();
    }
    expect(namespaces().filter((n) => n.startsWith(topology.namespace('left').replace(/left$/, '')))).toEqual(
      [],
    );
  });

  it('removes namespaces left behind by a process that is gone, and keeps those of live ones', async () => {
    // A pid that surely belongs to no process now: a child that has already exited.
    const gone = spawnSync('true').pid;
    const stale = `dw${gone}x1-agent`;
    const live = `dw${process.pid}x999-agent`;
    execFileSync('ip', ['netns', 'add', stale]);
    execFileSync('ip', ['netns', 'add', live]);
    try {
      const removed = await removeLeftoverNamespaces();
      expect(removed).toContain(stale);
      expect(namespaces()).not.toContain(stale);
      expect(namespaces()).toContain(live);
    } finally {
      for (const name of [stale, live]) spawnSync('ip', ['netns', 'del', name]);
    }
  });
});
