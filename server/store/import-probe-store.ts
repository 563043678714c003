/**
 * Which RIPE Atlas probe measured each imported trace (issue 14): recorded by the import after its traces are
 * stored, shown as `probeId` in trace and detour items and on the map.
 */
export interface ImportProbeStore {
  recordProbeIds(pairs: readonly { traceId: number; probeId: number }[]): Promise<void>;
}
