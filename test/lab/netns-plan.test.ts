import { describe, expect, it } from 'vitest';
import { type PlannedNode, planTopology, THREE_ROUTER_CHAIN, type TopologySpec } from '../helpers/netns.ts';

const plan = planTopology(THREE_ROUTER_CHAIN);

const attached = (node: PlannedNode, network: string) =>
  node.interfaces.some((i) => i.addresses.some((a) => a.network === network));

/** Follows the planned routes hop by hop, as the kernels will, from `start` to a node on `network`. */
function forward(start: string, network: string, family: 4 | 6): string[] {
  const path = [start];
  let node = plan.find((p) => p.name === start);
  while (node !== undefined && !attached(node, network)) {
    const route = node.routes.find((r) => r.network === network && r.family === family);
    if (route === undefined) throw new Error(`${node.name} has no route to ${network}`);
    const current: PlannedNode = node;
    // The gateway must be a neighbour: an address on a network this node is attached to.
    const gateway = plan.find((p) =>
      p.interfaces.some((i) =>
        i.addresses.some((a) => a.address === route.via && attached(current, a.network)),
      ),
    );
    if (gateway === undefined || path.includes(gateway.name)) throw new Error(`bad next hop ${route.via}`);
    path.push(gateway.name);
    node = gateway;
  }
  return path;
}

const networks = plan.flatMap((p) => p.interfaces.flatMap((i) => i.addresses));

describe('planTopology', () => {
  it('gives each link side its own address on the link network, in every family the link has', () => {
    for (const link of THREE_ROUTER_CHAIN.links) {
      const a = plan.find((p) => p.name === link.a)?.interfaces.find((i) => i.peer === link.b);
      const b = plan.find((p) => p.name === link.b)?.interfaces.find((i) => i.peer === link.a);
      expect(a?.name).toBe(`v-${link.b}`);
      expect(b?.name).toBe(`v-${link.a}`);
      expect(a?.addresses.map((x) => x.network)).toEqual(b?.addresses.map((x) => x.network));
      expect(a?.addresses.map((x) => x.family)).toEqual([4, 6]);
      expect(a?.addresses[0]?.address).not.toBe(b?.addresses[0]?.address);
    }
  });

  it('lets every node reach every link network along the chain, without loops', () => {
    const chain = THREE_ROUTER_CHAIN.nodes.map((n) => n.name);
    for (const node of plan) {
      for (const { network, family } of networks) {
        const path = forward(node.name, network, family);
        // In a chain the path is the contiguous run of nodes from here towards that link.
        const from = chain.indexOf(node.name);
        const to = chain.indexOf(path.at(-1) ?? '');
        const expected = from <= to ? chain.slice(from, to + 1) : chain.slice(to, from + 1).reverse();
        expect(path).toEqual(expected);
      }
    }
  });

  it('writes IPv6 addresses in canonical form', () => {
    for (const { family, address } of networks) {
      if (family === 6) expect(new URL(`http://[${address}]/`).hostname).toBe(`[${address}]`);
    }
  });

  it.each<[string, TopologySpec]>([
    [
      'a non-documentation subnet',
      { nodes: [{ name: 'a' }, { name: 'b' }], links: [{ a: 'a', b: 'b', net4: '10.0.0.0/30' }] },
    ],
    [
      'a non-documentation IPv6 subnet',
      { nodes: [{ name: 'a' }, { name: 'b' }], links: [{ a: 'a', b: 'b', net6: 'fd00:1::/64' }] },
    ],
    ['a name too long for an interface', { nodes: [{ name: 'averyverylongname' }], links: [] }],
    ['a name with a dash', { nodes: [{ name: 'r-1' }], links: [] }],
    [
      'a link to an unknown node',
      { nodes: [{ name: 'a' }], links: [{ a: 'a', b: 'zz', net4: '192.0.2.0/30' }] },
    ],
    [
      'the same pair linked twice',
      {
        nodes: [{ name: 'a' }, { name: 'b' }],
        links: [
          { a: 'a', b: 'b', net4: '192.0.2.0/30' },
          { a: 'b', b: 'a', net4: '192.0.2.4/30' },
        ],
      },
    ],
    [
      'a route over a link without that family',
      {
        nodes: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
        links: [
          { a: 'a', b: 'b', net4: '192.0.2.0/30' },
          { a: 'b', b: 'c', net4: '192.0.2.4/30', net6: '2001:db8:9::/64' },
        ],
      },
    ],
  ])('refuses %s', (_what, spec) => {
    expect(() => planTopology(spec)).toThrow(/^lab: /);
  });
});
