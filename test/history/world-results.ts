/**
 * RIPE Atlas results over the test world (test/helpers/analyze-world.ts): a probe in San Jose tracing to
 * Washington, directly or through Shanghai (AS4134) with RTTs that confirm the detour. The RTTs come from
 * the physics (great-circle distances at 100 km per ms), not from earlier output.
 */
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { atlasTrace, CITIES } from '../helpers/analyze-world.ts';

export const SAN_JOSE_PROBE = 6001;
export const PROBE_LOCATION = `${SAN_JOSE_PROBE}=${CITIES.sanJose.lat},${CITIES.sanJose.lon}`;

const kmSjShanghai = greatCircleKm(CITIES.sanJose, CITIES.shanghai);
const kmShanghaiDc = greatCircleKm(CITIES.shanghai, CITIES.washington);
const kmSjDc = greatCircleKm(CITIES.sanJose, CITIES.washington);

type Result = Record<string, unknown>;

function stamped(result: Result, timestamp: number, prb: number): Result {
  return { ...result, timestamp, prb_id: prb, msm_id: 9_000_001 };
}

/** San Jose -> Shanghai (AS4134) -> Washington: a confirmed detour. `via` picks the Shanghai router. */
export function detourResult(
  timestamp: number,
  opts: { prb?: number; dst?: string; via?: string; src?: string } = {},
): Result {
  const through = (kmSjShanghai + kmShanghaiDc) / 100 + 10;
  return stamped(
    atlasTrace(opts.src ?? '192.0.2.5', opts.dst ?? '203.0.113.9', [
      [['192.0.2.1', 0.8]],
      [[opts.via ?? '198.51.100.1', kmSjShanghai / 100 + 20]],
      [['203.0.113.1', through]],
      [[opts.dst ?? '203.0.113.9', through + 1]],
    ]),
    timestamp,
    opts.prb ?? SAN_JOSE_PROBE,
  );
}

/** San Jose -> Washington across the US: domestic. */
export function domesticResult(timestamp: number, opts: { prb?: number; dst?: string } = {}): Result {
  const direct = kmSjDc / 100 + 8;
  return stamped(
    atlasTrace('192.0.2.5', opts.dst ?? '203.0.113.9', [
      [['192.0.2.1', 0.8]],
      [['203.0.113.1', direct]],
      [[opts.dst ?? '203.0.113.9', direct + 1]],
    ]),
    timestamp,
    opts.prb ?? SAN_JOSE_PROBE,
  );
}

export const ndjson = (results: Result[]): string => results.map((r) => `${JSON.stringify(r)}\n`).join('');
