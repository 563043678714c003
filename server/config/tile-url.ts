import { DetourwatchError } from '../../protocol/errors.ts';

/**
 * The operator's optional tile layer, checked at startup: an http(s) Leaflet URL template with {z}, {x}, {y}.
 * Returns the origin the Content-Security-Policy must allow images from (`{s}` subdomains become `*.`).
 */
export function tileOrigin(tileUrl: string): string {
  const fail = (why: string): never => {
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `tile URL "${tileUrl}" ${why}; expected something like https://tile.example.org/{z}/{x}/{y}.png`,
    );
  };
  for (const p of ['{z}', '{x}', '{y}']) if (!tileUrl.includes(p)) fail(`lacks ${p}`);
  const m = /^(https?):\/\/([^/?#]+)/i.exec(tileUrl);
  if (!m) return fail('is not an http(s) URL');
  const [, scheme = '', host = ''] = m;
  const wildcard = host.replace(/^\{s\}\./, '*.');
  // Whatever remains must be a plain host[:port]: the CSP source list is space-separated text.
  if (
    !/^(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$/.test(wildcard) &&
    !/^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(wildcard)
  ) {
    fail('has a host this page cannot allow (placeholders other than a leading {s}. are not supported)');
  }
  return `${scheme.toLowerCase()}://${wildcard.toLowerCase()}`;
}
