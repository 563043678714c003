/**
 * What `GET /api/v1/measurements/{taskId}` reads besides the task itself (task-store.ts): the trace stored
 * from the result that answered it.
 */
export interface MeasurementStore {
  /** The id of the trace stored from the agent's result `resultId` (the lowest, should there be several). */
  traceIdOfResult(resultId: string): Promise<number | null>;
}
