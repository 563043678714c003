import { describe, expect, it } from 'vitest';
import { loadServeOptions } from '../../server/config/serve-config.ts';
import { reverseDnsSettings } from '../../server/coordinator.ts';

const load = (args: string[], env: Record<string, string> = {}) => loadServeOptions(args, env).config;

describe('serve --resolver and --no-resolve', () => {
  it('defaults to the system resolver, documentation addresses only with --look-up-documentation', () => {
    expect(reverseDnsSettings(load([]))).toEqual({ servers: null, lookUpDocumentation: false });
    expect(reverseDnsSettings(load(['--look-up-documentation']))?.lookUpDocumentation).toBe(true);
  });
  it('names the server, from the flag or DETOURWATCH_RESOLVER', () => {
    expect(reverseDnsSettings(load(['--resolver', '127.0.0.1:5353']))?.servers).toEqual(['127.0.0.1:5353']);
    expect(reverseDnsSettings(load([], { DETOURWATCH_RESOLVER: '[::1]:53' }))?.servers).toEqual(['[::1]:53']);
  });
  it('--no-resolve turns lookups off; with --resolver, or a name for a server, it is a usage error', () => {
    expect(reverseDnsSettings(load(['--no-resolve']))).toBeNull();
    expect(() => load(['--no-resolve', '--resolver', '127.0.0.1'])).toThrow(/not both/);
    expect(() => load(['--resolver', 'dns.example'])).toThrow(/--resolver.*not an IP address/);
  });
});
