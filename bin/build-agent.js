#!/usr/bin/env node
// `npm run build:agent [-- --out DIR]`: bundles agent/main.ts into one plain-JavaScript file (only `ws` and
// node: built-ins left as imports) and packs it with agent/package.json, README.md and the systemd unit into
// DIR/detourwatch-agent.tgz (default agent/dist), the tarball the coordinator serves at
// /agent/detourwatch-agent.tgz. esbuild comes with tsx, a runtime dependency.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const agentDir = path.join(root, 'agent');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const outDir = path.resolve(values.out ?? path.join(agentDir, 'dist'));
const manifest = JSON.parse(readFileSync(path.join(agentDir, 'package.json'), 'utf8'));

function fail(message) {
  process.stderr.write(`build-agent: ${message}\n`);
  process.exit(1);
}

const agentVersion = /AGENT_VERSION = '([^']+)'/.exec(
  readFileSync(path.join(root, 'protocol/version.ts'), 'utf8'),
);
if (agentVersion?.[1] !== manifest.version)
  fail(
    `agent/package.json has version ${manifest.version}, protocol/version.ts ${agentVersion?.[1]}: make them equal`,
  );

rmSync(outDir, { recursive: true, force: true });
const bundle = path.join(outDir, manifest.bin['detourwatch-agent'].replace(/^dist\//, ''));
const result = await build({
  // main.ts has no side effects (cli/agent.ts imports it); the package's entry is this one line.
  stdin: {
    contents: "import { main } from './main.ts';\nprocess.exitCode = await main(process.argv.slice(2));\n",
    resolveDir: agentDir,
    sourcefile: 'detourwatch-agent-entry.ts',
    loader: 'ts',
  },
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['ws'],
  banner: { js: '#!/usr/bin/env node' },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
// The package may carry only the agent and what it shares with the coordinator (protocol/).
const strays = Object.keys(result.metafile.inputs).filter((input) => !/^(agent|protocol)\//.test(input));
if (strays.length > 0)
  fail(`the bundle would include files outside agent/ and protocol/: ${strays.join(', ')}`);

// The package's own layout, staged so that any DIR works and npm sees only the package's files.
const stage = path.join(outDir, 'package');
mkdirSync(path.join(stage, 'dist'), { recursive: true });
for (const file of ['package.json', 'README.md', 'systemd'])
  cpSync(path.join(agentDir, file), path.join(stage, file), { recursive: true });
chmodSync(bundle, 0o755);
cpSync(bundle, path.join(stage, manifest.bin['detourwatch-agent']));
const [packed] = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', outDir], {
    cwd: stage,
    encoding: 'utf8',
  }),
);
const tarball = path.join(outDir, 'detourwatch-agent.tgz');
renameSync(path.join(outDir, packed.filename), tarball);
rmSync(stage, { recursive: true });
const files = packed.files.map((f) => f.path).join(', ');
process.stdout.write(`build-agent: ${tarball} (${packed.size} bytes: ${files})\n`);
