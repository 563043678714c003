import { DETOUR_EVENT, type DetourSummary, MAP_API } from '../../protocol/map-api.ts';
import { detourProblem } from './api-guards.ts';

export type FeedStatus = 'connecting' | 'live' | 'reconnecting';

/**
 * New detours as the coordinator stores them (server-sent events). EventSource reconnects by itself after
 * an error; this only reports the state so the page can say whether it is live.
 */
export function followDetours(
  onDetour: (d: DetourSummary) => void,
  onStatus: (s: FeedStatus) => void,
): () => void {
  const source = new EventSource(MAP_API.stream);
  onStatus('connecting');
  source.addEventListener('open', () => onStatus('live'));
  source.addEventListener('error', () => onStatus('reconnecting'));
  source.addEventListener(DETOUR_EVENT, (e) => {
    let data: unknown;
    try {
      data = JSON.parse((e as MessageEvent<string>).data);
    } catch {
      console.warn('detourwatch: ignored a live event that is not JSON');
      return;
    }
    const problem = detourProblem(data);
    if (problem) {
      console.warn(`detourwatch: ignored a live detour with a bad field: ${problem}`);
      return;
    }
    onDetour(data as DetourSummary);
  });
  return () => source.close();
}
