import { type DetourFilter, readFilter, writeFilter } from '../../protocol/map-filter.ts';

/** Everything an analyst can send as a link: the filters, the open path, whether refuted claims show. */
export interface ViewState {
  filter: DetourFilter;
  selected: number | null;
  showRefuted: boolean;
}

/** Reads a location's query string. Malformed fields are dropped: a damaged link still opens the map. */
export function parseViewState(search: string): ViewState {
  const params = new URLSearchParams(search);
  const path = params.get('path') ?? '';
  return {
    filter: readFilter((key) => params.get(key)).filter,
    // Detour ids are positive whole numbers, as the API's.
    selected: /^[1-9]\d{0,14}$/.test(path) ? Number(path) : null,
    showRefuted: params.get('refuted') === '1',
  };
}

/** The query string for a view ('' when there is nothing to say), fields in a fixed order. */
export function formatViewState(state: ViewState): string {
  const params = writeFilter(state.filter, new URLSearchParams());
  if (state.selected !== null) params.set('path', String(state.selected));
  if (state.showRefuted) params.set('refuted', '1');
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
