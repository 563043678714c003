/**
 * A network-namespace lab: real routers (Linux forwarding in their own namespaces) joined by veth pairs, so
 * real traceroute tools see real TTL-expired replies. Documentation addresses only (192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32): nothing here can reach or impersonate a real network.
 * The kernel here has no netem, so links add no delay.
 */

import { execFileSync } from 'node:child_process';
import { runTool, type ToolOutput, type ToolRunner } from '../../agent/engines/exec.ts';
import { classifyAddress } from '../../protocol/address/classify.ts';
import { parseV4, parseV6 } from '../../protocol/address/parse.ts';
import { rootUsable } from './skips.ts';

export interface NodeSpec {
  /** Short name (letters and digits, at most 10): it becomes part of namespace and interface names. */
  name: string;
  /** Routers forward packets and answer expired probes with ICMP time exceeded. */
  router?: boolean;
}

export interface LinkSpec {
  a: string;
  b: string;
  /** IPv4 subnet of the link, e.g. "192.0.2.0/29": side a gets its first host address, side b the second. */
  net4?: string;
  /** IPv6 subnet of the link, e.g. "2001:db8:1::/64": side a gets ::1, side b ::2. */
  net6?: string;
}

export interface TopologySpec {
  nodes: NodeSpec[];
  links: LinkSpec[];
}

export type Family = 4 | 6;

export interface PlannedAddress {
  family: Family;
  address: string;
  /** The link's network in CIDR form, e.g. "192.0.2.0/29". */
  network: string;
}

export interface PlannedInterface {
  name: string;
  peer: string;
  addresses: PlannedAddress[];
}

export interface PlannedRoute {
  family: Family;
  /** Network in CIDR form. */
  network: string;
  via: string;
}

export interface PlannedNode {
  name: string;
  router: boolean;
  interfaces: PlannedInterface[];
  routes: PlannedRoute[];
}

interface Subnet {
  family: Family;
  network: string;
  bits: number;
  /** The address of host number `n` in the subnet (1 = first host). */
  host(n: number): string;
}

const NODE_NAME = /^[a-z][a-z0-9]{0,9}$/;

function parseSubnet(cidr: string, family: Family): Subnet {
  const [base = '', bitsText = ''] = cidr.split('/');
  const bits = Number(bitsText);
  if (family === 4) {
    const value = parseV4(base);
    if (value === null || !Number.isInteger(bits) || bits < 8 || bits > 30) {
      throw new Error(`lab: "${cidr}" is not an IPv4 subnet from /8 to /30`);
    }
    const size = 2 ** (32 - bits);
    const network = value - (value % size);
    const dotted = (v: number) => [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
    return { family, network: `${dotted(network)}/${bits}`, bits, host: (n) => dotted(network + n) };
  }
  const groups = parseV6(base);
  if (groups === null || !Number.isInteger(bits) || bits < 16 || bits > 64 || bits % 16 !== 0) {
    throw new Error(`lab: "${cidr}" is not an IPv6 subnet of /16, /32, /48 or /64`);
  }
  const head = groups.slice(0, bits / 16).map((g) => g.toString(16));
  const prefix = `${head.join(':')}::`;
  // The URL parser writes IPv6 in its canonical compressed form (2001:db8:4:0::1 -> 2001:db8:4::1).
  const canonical = (text: string) => new URL(`http://[${text}]/`).hostname.slice(1, -1);
  return {
    family,
    network: `${canonical(prefix)}/${bits}`,
    bits,
    host: (n) => canonical(`${prefix}${n.toString(16)}`),
  };
}

function checkDocumentation(address: string): void {
  if (classifyAddress(address) !== 'documentation') {
    throw new Error(`lab: ${address} is not a documentation address; the lab uses nothing else`);
  }
}

/**
 * Pure plan of a topology: each node's interfaces (named `v-<peer>`) with addresses, and static routes
 * towards every link subnet it is not on, along a shortest path. Symmetric routes make every router answer
 * from the address of the interface the probe came in on.
 */
export function planTopology(spec: TopologySpec): PlannedNode[] {
  const names = new Set<string>();
  for (const node of spec.nodes) {
    if (!NODE_NAME.test(node.name)) throw new Error(`lab: node name "${node.name}" must match ${NODE_NAME}`);
    if (names.has(node.name)) throw new Error(`lab: node ${node.name} is listed twice`);
    names.add(node.name);
  }
  const neighbours: Neighbours = new Map();
  for (const name of names) neighbours.set(name, new Map());
  const subnets: { link: LinkSpec; subnet: Subnet }[] = [];
  const planned = new Map<string, PlannedNode>();
  for (const node of spec.nodes) {
    planned.set(node.name, { name: node.name, router: node.router ?? false, interfaces: [], routes: [] });
  }
  for (const link of spec.links) {
    const nodeA = planned.get(link.a);
    const nodeB = planned.get(link.b);
    if (!nodeA || !nodeB || link.a === link.b)
      throw new Error(`lab: link ${link.a}-${link.b} names unknown nodes`);
    if (neighbours.get(link.a)?.has(link.b))
      throw new Error(`lab: nodes ${link.a} and ${link.b} are linked twice`);
    const ifA: PlannedInterface = { name: `v-${link.b}`, peer: link.b, addresses: [] };
    const ifB: PlannedInterface = { name: `v-${link.a}`, peer: link.a, addresses: [] };
    const viaA: { family: Family; address: string }[] = [];
    const viaB: { family: Family; address: string }[] = [];
    for (const [family, cidr] of [
      [4, link.net4],
      [6, link.net6],
    ] as const) {
      if (cidr === undefined) continue;
      const subnet = parseSubnet(cidr, family);
      const [addressA, addressB] = [subnet.host(1), subnet.host(2)];
      checkDocumentation(addressA);
      checkDocumentation(addressB);
      ifA.addresses.push({ family, address: addressA, network: subnet.network });
      ifB.addresses.push({ family, address: addressB, network: subnet.network });
      viaA.push({ family, address: addressA });
      viaB.push({ family, address: addressB });
      subnets.push({ link, subnet });
    }
    nodeA.interfaces.push(ifA);
    nodeB.interfaces.push(ifB);
    // Reaching b from a goes via b's address on this link, and the other way round.
    neighbours.get(link.a)?.set(link.b, viaB);
    neighbours.get(link.b)?.set(link.a, viaA);
  }
  for (const node of planned.values()) node.routes = planRoutes(node.name, neighbours, subnets);
  return [...planned.values()];
}

type Neighbours = Map<string, Map<string, { family: Family; address: string }[]>>;

/** Static routes from `from` to every link subnet it is not on, through the first hop of a shortest path. */
function planRoutes(
  from: string,
  neighbours: Neighbours,
  subnets: { link: LinkSpec; subnet: Subnet }[],
): PlannedRoute[] {
  const firstHop = shortestFirstHops(from, neighbours);
  const routes: PlannedRoute[] = [];
  for (const { link, subnet } of subnets) {
    if (link.a === from || link.b === from) continue;
    const endpoint = [link.a, link.b]
      .filter((n) => firstHop.has(n))
      .sort((x, y) => (firstHop.get(x)?.distance ?? 0) - (firstHop.get(y)?.distance ?? 0))[0];
    if (endpoint === undefined) continue;
    const hop = firstHop.get(endpoint)?.via ?? '';
    const gateway = neighbours
      .get(from)
      ?.get(hop)
      ?.find((v) => v.family === subnet.family);
    if (gateway === undefined) {
      throw new Error(
        `lab: ${from} reaches ${subnet.network} via ${hop}, but that link has no IPv${subnet.family}`,
      );
    }
    routes.push({ family: subnet.family, network: subnet.network, via: gateway.address });
  }
  return routes;
}

/** Breadth-first search from `start`: for every reachable node, its distance and the neighbour to go through. */
function shortestFirstHops(
  start: string,
  neighbours: Map<string, Map<string, unknown>>,
): Map<string, { distance: number; via: string }> {
  const found = new Map<string, { distance: number; via: string }>();
  const queue: string[] = [];
  for (const next of neighbours.get(start)?.keys() ?? []) {
    found.set(next, { distance: 1, via: next });
    queue.push(next);
  }
  for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
    const here = found.get(current);
    for (const next of neighbours.get(current)?.keys() ?? []) {
      if (next === start || found.has(next) || here === undefined) continue;
      found.set(next, { distance: here.distance + 1, via: here.via });
      queue.push(next);
    }
  }
  return found;
}

const NS_PREFIX = /^dw(\d+)x\d+-/;
let topologies = 0;

function ip(args: string[]): Promise<ToolOutput> {
  return runTool('ip', args, { timeoutMs: 10_000, maxBuffer: 1024 * 1024 }).catch((err: unknown) => {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`lab: ip ${args.join(' ')} failed: ${stderr || String(err)}`);
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes namespaces this helper left behind in runs whose process is gone (a crash, a killed test). */
export async function removeLeftoverNamespaces(): Promise<string[]> {
  const { stdout } = await ip(['netns', 'list']);
  const stale = stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => {
      const pid = NS_PREFIX.exec(name)?.[1];
      return pid !== undefined && Number(pid) !== process.pid && !processAlive(Number(pid));
    });
  for (const name of stale) await ip(['netns', 'del', name]).catch(() => undefined);
  return stale;
}

/** Whether this machine can build the lab; `why` says what is missing (for a loud skip). */
export function canBuildLab(): { ok: boolean; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: 'network namespaces need Linux' };
  const root = rootUsable();
  if (!root.met) return { ok: false, why: `building network namespaces needs root: ${root.detail}` };
  const probe = `dw${process.pid}x0-probe`;
  try {
    execFileSync('sysctl', ['-n', 'kernel.ostype'], { stdio: 'ignore' });
  } catch {
    return { ok: false, why: 'the sysctl binary is missing (Debian package procps)' };
  }
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
  } catch (err) {
    return {
      ok: false,
      why: `"ip netns add" does not work here (iproute2 missing or no CAP_SYS_ADMIN): ${err}`,
    };
  }
  return { ok: true, why: '' };
}

export interface Topology {
  plan: PlannedNode[];
  /** The namespace name of a node. */
  namespace(node: string): string;
  /** The address `node` has on its link towards `peer`: what `node` answers from when a probe arrives there. */
  address(node: string, peer: string, family: Family): string;
  /** Runs a binary inside a node's namespace (`ip netns exec`), with an argument array. */
  exec(node: string, binary: string, args: readonly string[], timeoutMs?: number): Promise<ToolOutput>;
  /** A ToolRunner that runs everything inside a node's namespace, for runTrace. */
  runner(node: string): ToolRunner;
  destroy(): Promise<void>;
}

function sysctls(node: PlannedNode): string[] {
  const settings = [
    // Strict reverse-path filtering would drop replies on asymmetric test paths.
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
    // The tools send bursts of probes at every hop: rate-limited ICMP would read as lost replies.
    'net.ipv4.icmp_ratelimit=0',
    'net.ipv6.icmp.ratelimit=0',
    // Answer from the interface the probe arrived on, so each hop's address is the one the test expects.
    'net.ipv4.icmp_errors_use_inbound_ifaddr=1',
    // No duplicate address detection: IPv6 addresses are usable at once instead of tentative for a second.
    'net.ipv6.conf.all.accept_dad=0',
    'net.ipv6.conf.default.accept_dad=0',
  ];
  if (node.router) settings.push('net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
  return settings;
}

const READY_TIMEOUT_MS = 10_000;

/** Interfaces of `node` that are not yet usable: link down, or IPv6 without its link-local address yet. */
async function notReady(node: PlannedNode, namespace: string): Promise<string[]> {
  const links = (await ip(['-n', namespace, '-o', 'link', 'show'])).stdout;
  const local6 = (await ip(['-n', namespace, '-o', '-6', 'addr', 'show', 'scope', 'link', '-tentative']))
    .stdout;
  return node.interfaces
    .filter((iface) => {
      const up = new RegExp(`^\\d+: ${iface.name}@\\S+ .*state UP`, 'm').test(links);
      const needs6 = iface.addresses.some((a) => a.family === 6);
      return !up || (needs6 && !new RegExp(`^\\d+: ${iface.name} `, 'm').test(local6));
    })
    .map((iface) => `${node.name}/${iface.name}`);
}

/**
 * Waits until every link is up and every IPv6 interface has its link-local address. Until then (about 0.7 s
 * after link up here) routers drop or delay IPv6 replies, and a first trace shows only stars.
 */
async function waitUntilReady(plan: PlannedNode[], ns: (node: string) => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const pending = (await Promise.all(plan.map((node) => notReady(node, ns(node.name))))).flat();
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`lab: interfaces not ready after ${READY_TIMEOUT_MS} ms: ${pending.join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Builds the namespaces, links, addresses and routes of `spec`. Call destroy() when done (afterAll). */
export async function buildTopology(spec: TopologySpec): Promise<Topology> {
  const plan = planTopology(spec);
  await removeLeftoverNamespaces();
  topologies += 1;
  const prefix = `dw${process.pid}x${topologies}-`;
  const ns = (node: string) => {
    if (!plan.some((p) => p.name === node)) throw new Error(`lab: no node named ${node}`);
    return `${prefix}${node}`;
  };
  const created: string[] = [];
  const destroy = async () => {
    for (const name of created.splice(0)) await ip(['netns', 'del', name]).catch(() => undefined);
  };
  const exec = (node: string, binary: string, args: readonly string[], timeoutMs = 30_000) =>
    runTool('ip', ['netns', 'exec', ns(node), binary, ...args], { timeoutMs, maxBuffer: 4 * 1024 * 1024 });
  try {
    for (const node of plan) {
      await ip(['netns', 'add', ns(node.name)]);
      created.push(ns(node.name));
      await exec(node.name, 'sysctl', ['-q', '-w', ...sysctls(node)]);
      await ip(['-n', ns(node.name), 'link', 'set', 'lo', 'up']);
    }
    for (const link of spec.links) {
      const [a, b] = [ns(link.a), ns(link.b)];
      await ip([
        'link',
        'add',
        `v-${link.b}`,
        'netns',
        a,
        'type',
        'veth',
        'peer',
        'name',
        `v-${link.a}`,
        'netns',
        b,
      ]);
    }
    for (const node of plan) {
      for (const iface of node.interfaces) {
        for (const { family, address, network } of iface.addresses) {
          const cidr = `${address}/${network.split('/')[1]}`;
          await ip([
            '-n',
            ns(node.name),
            'addr',
            'add',
            cidr,
            'dev',
            iface.name,
            ...(family === 6 ? ['nodad'] : []),
          ]);
        }
        await ip(['-n', ns(node.name), 'link', 'set', iface.name, 'up']);
      }
    }
    for (const node of plan) {
      for (const route of node.routes) {
        await ip(['-n', ns(node.name), `-${route.family}`, 'route', 'add', route.network, 'via', route.via]);
      }
    }
    await waitUntilReady(plan, ns);
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    plan,
    namespace: ns,
    address(node, peer, family) {
      const iface = plan.find((p) => p.name === node)?.interfaces.find((i) => i.peer === peer);
      const found = iface?.addresses.find((a) => a.family === family);
      if (found === undefined) throw new Error(`lab: ${node} has no IPv${family} address towards ${peer}`);
      return found.address;
    },
    exec,
    runner: (node) => (binary, args, options) =>
      runTool('ip', ['netns', 'exec', ns(node), binary, ...args], options),
    destroy,
  };
}

/**
 * agent -- r1 -- r2 -- r3 -- target, one subnet per link, so each router answers from its own block
 * (a test database can place r1 in one country, r2 in another): r1 answers from 192.0.2.0/29 and
 * 2001:db8:1::/64, r2 from 198.51.100.0/29 and 2001:db8:2::/64, r3 from 203.0.113.0/29 and 2001:db8:3::/64;
 * the target is 192.0.2.10 / 2001:db8:4::2 and the agent 192.0.2.1 / 2001:db8:1::1.
 */
export const THREE_ROUTER_CHAIN: TopologySpec = {
  nodes: [
    { name: 'agent' },
    { name: 'r1', router: true },
    { name: 'r2', router: true },
    { name: 'r3', router: true },
    { name: 'target' },
  ],
  links: [
    { a: 'agent', b: 'r1', net4: '192.0.2.0/29', net6: '2001:db8:1::/64' },
    { a: 'r1', b: 'r2', net4: '198.51.100.0/29', net6: '2001:db8:2::/64' },
    { a: 'r2', b: 'r3', net4: '203.0.113.0/29', net6: '2001:db8:3::/64' },
    { a: 'r3', b: 'target', net4: '192.0.2.8/29', net6: '2001:db8:4::/64' },
  ],
};
