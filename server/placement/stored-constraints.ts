import type { RouterConstraint } from '../store/router-constraint-store.ts';
import { type Disc, discFrom } from './constraints.ts';

/** How evidence names a vantage: "the seattle-1 agent". */
export function agentLabel(agentName: string): string {
  return `the ${agentName} agent`;
}

/** Stored constraints (other verified agents' lowest RTTs) as the discs placement intersects. */
export function constraintDiscs(constraints: readonly RouterConstraint[], kmPerMs: number): Disc[] {
  return constraints.map((c) =>
    discFrom({ lat: c.lat, lon: c.lon, label: agentLabel(c.agentName) }, c.minRttMs, kmPerMs),
  );
}
