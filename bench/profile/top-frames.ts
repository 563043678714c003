/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and lists where the time went: self time per function, and
 * total (inclusive) time per source file of the project, so a reader sees both the hot leaves and which
 * stage of the pipeline they belong to.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FrameTime {
  name: string;
  ms: number;
  share: number;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/(node_modules\/)/, '$1')
    .replace(/^.*\/main\//, '');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

function fileOf(node: ProfileNode): string {
  const url = node.callFrame.url.replace(/^file:\/\//, '');
  if (url === '') return node.callFrame.functionName || '(native)';
  const nm = url.indexOf('node_modules/');
  if (nm !== -1)
    return url
      .slice(nm)
      .split('/')
      .slice(0, url.slice(nm).includes('/@') ? 3 : 2)
      .join('/');
  return url.replace(/^.*\/main\//, '');
}

export function summariseProfile(
  file: string,
  top = 25,
): { self: FrameTime[]; byFile: FrameTime[]; totalMs: number } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  let totalMs = 0;
  const self = new Map<string, number>();
  const inclusiveFile = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (!node) continue;
    totalMs += ms;
    self.set(label(node), (self.get(label(node)) ?? 0) + ms);
    // Inclusive per file: each file on the stack counted once per sample.
    const files = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at);
      if (n) files.add(fileOf(n));
    }
    for (const f of files) inclusiveFile.set(f, (inclusiveFile.get(f) ?? 0) + ms);
  }
  const rank = (m: Map<string, number>): FrameTime[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: Math.round((ms / totalMs) * 1000) / 10 }));
  return { self: rank(self), byFile: rank(inclusiveFile), totalMs: Math.round(totalMs) };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  for (const file of process.argv.slice(2)) {
    const s = summariseProfile(file);
    console.log(`${file}: ${s.totalMs} ms sampled\n-- self time --`);
    for (const f of s.self)
      console.log(`${String(f.share).padStart(5)}%  ${String(f.ms).padStart(6)} ms  ${f.name}`);
    console.log('-- inclusive, by file --');
    for (const f of s.byFile)
      console.log(`${String(f.share).padStart(5)}%  ${String(f.ms).padStart(6)} ms  ${f.name}`);
  }
}
