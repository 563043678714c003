import { describe, expect, it } from 'vitest';
import { loadServeOptions } from '../../server/config/serve-config.ts';
import { serveSettings } from '../../server/coordinator.ts';

describe('serve --km-per-ms', () => {
  it('reaches the vantage checks, which otherwise keep their default', () => {
    const given = loadServeOptions(['--km-per-ms', '66'], {});
    expect(serveSettings(given.config, given.history).history.kmPerMs).toBe(66);
    const none = loadServeOptions([], {});
    expect(serveSettings(none.config, none.history).history.kmPerMs).toBeUndefined();
  });
});
