/** agent/package.json ships with the agent (npm run build:agent): it must say what the agent says. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_VERSION } from '../../protocol/version.ts';
import { REPO_ROOT } from './agent-process.ts';

const readJson = (file: string) => JSON.parse(readFileSync(path.join(REPO_ROOT, file), 'utf8'));

describe('agent/package.json', () => {
  const agent = readJson('agent/package.json');
  const root = readJson('package.json');

  it('carries the version the agent announces in its hello (protocol/version.ts)', () => {
    expect(agent.version).toBe(AGENT_VERSION);
  });

  it('depends on ws alone, in the range the clone uses, and runs the bundle on Node 20', () => {
    expect(agent.dependencies).toEqual({ ws: root.dependencies.ws });
    expect(agent.devDependencies ?? {}).toEqual({});
    expect(agent.type).toBe('module');
    expect(agent.engines).toEqual({ node: '>=20' });
    expect(agent.bin).toEqual({ 'detourwatch-agent': 'dist/detourwatch-agent.js' });
  });
});
