import type { IncidentEvent } from '../incidents/types.ts';
import type { FoldOutcome } from './incident-store.ts';

/**
 * Engine-neutral steps of applying a fold (incident-store.ts): the events with the row ids the engine gave
 * the incidents the fold created (their placeholders are negative).
 */
export function eventsWithRowIds(
  outcome: FoldOutcome,
  rowIdOf: ReadonlyMap<number, number>,
): IncidentEvent[] {
  return outcome.events.map((e) => {
    const id = rowIdOf.get(e.incident.id);
    return id === undefined ? e : { ...e, incident: { ...e.incident, id } };
  });
}

/** The row id a link names: a placeholder's row id, or the id itself. */
export function rowId(id: number, rowIdOf: ReadonlyMap<number, number>): number {
  return rowIdOf.get(id) ?? id;
}
