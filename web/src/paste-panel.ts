import { ANALYZE_API, type AnalyzeResponse, type PastedTrace } from '../../protocol/map-api.ts';
import { readAnalyzeResponse } from './analyze-guards.ts';
import { h, replaceChildren } from './safe-dom.ts';

/** The largest file read into the box: the coordinator refuses bodies over 1 MiB anyway. */
const MAX_FILE_BYTES = 1024 * 1024;

/** Analyses a paste; with an operator key, saves it too (`?save=1`). The key goes only into this request. */
async function postPaste(
  text: string,
  sourceLocation: string | null,
  operatorKey: string | null = null,
): Promise<AnalyzeResponse> {
  const res = await fetch(operatorKey === null ? ANALYZE_API : `${ANALYZE_API}?save=1`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(operatorKey === null ? {} : { authorization: `Bearer ${operatorKey}` }),
    },
    body: JSON.stringify({ text, format: 'auto', sourceLocation }),
  });
  const body = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof error?.code === 'string' ? `${error.code}: ` : '';
    const message = typeof error?.message === 'string' ? error.message : res.statusText;
    throw new Error(`${code}${message}`);
  }
  return readAnalyzeResponse(body);
}

function verdictText(t: PastedTrace): string {
  return t.verdictConfidence ? `${t.verdict} (${t.verdictConfidence})` : t.verdict;
}

/**
 * "Analyse a traceroute": a paste box and a file drop; the coordinator judges the text (storing nothing) and
 * `onShow` draws the chosen trace. The source location field appears when the coordinator asks for it. An
 * operator may save the paste: the page has no login, so the key is typed into a password field, kept in that
 * field only (never in storage) and sent with the save request alone; "Save" shows once a key is there.
 */
export class PastePanel {
  private readonly text: HTMLTextAreaElement;
  private readonly location: HTMLInputElement;
  private readonly locationRow: HTMLElement;
  private readonly status: HTMLElement;
  private readonly results: HTMLElement;
  private readonly key: HTMLInputElement;

  constructor(
    container: HTMLElement,
    private readonly onShow: (t: PastedTrace) => void,
  ) {
    this.text = h('textarea', {
      className: 'paste-text',
      attrs: {
        name: 'paste',
        rows: '6',
        spellcheck: 'false',
        placeholder: 'Paste traceroute, mtr, tracert… output',
      },
    });
    const file = h('input', {
      className: 'paste-file',
      attrs: { type: 'file', accept: '.txt,.json,.csv,.xml,text/*' },
    });
    file.addEventListener('change', () => {
      const f = file.files?.[0];
      if (f) this.readFile(f);
    });
    this.location = h('input', {
      className: 'paste-location',
      attrs: { name: 'sourceLocation', type: 'text', placeholder: 'LAT,LON e.g. 40.71,-74.01' },
    });
    this.locationRow = h(
      'label',
      { className: 'paste-location-row' },
      'Where was it measured from? ',
      this.location,
    );
    this.locationRow.hidden = true;
    const submit = h('button', { className: 'paste-submit', attrs: { type: 'submit' } }, 'Analyse');
    this.key = h('input', {
      className: 'paste-key',
      attrs: { name: 'operatorKey', type: 'password', autocomplete: 'off', placeholder: 'operator key' },
    });
    const save = h('button', { className: 'paste-save', attrs: { type: 'button' } }, 'Save');
    save.hidden = true;
    this.key.addEventListener('input', () => {
      save.hidden = this.key.value.trim() === '';
    });
    save.addEventListener('click', () => void this.save());
    const saveRow = h(
      'div',
      { className: 'paste-save-row' },
      h('label', null, 'Operators, to save it: ', this.key),
      ' ',
      save,
    );
    this.status = h('div', { className: 'paste-status', attrs: { role: 'status' } });
    this.results = h('div', { className: 'paste-results' });
    const form = h(
      'form',
      { className: 'paste-form', attrs: { autocomplete: 'off' } },
      this.text,
      h('div', { className: 'paste-row' }, file, submit),
      this.locationRow,
      saveRow,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.analyse();
    });
    // Dropping a file anywhere on the panel reads it into the box.
    container.addEventListener('dragover', (e) => e.preventDefault());
    container.addEventListener('drop', (e) => {
      e.preventDefault();
      const f = e.dataTransfer?.files[0];
      if (f) this.readFile(f);
    });
    replaceChildren(
      container,
      h('summary', null, 'Analyse a traceroute'),
      h(
        'p',
        { className: 'minor' },
        'Paste text or drop a file. It is judged, drawn as “pasted”, and not stored unless an operator saves it.',
      ),
      form,
      this.status,
      this.results,
    );
  }

  private readFile(f: File): void {
    if (f.size > MAX_FILE_BYTES) {
      this.status.textContent = `${f.name} is larger than 1 MiB`;
      return;
    }
    const reader = new FileReader();
    reader.onload = () => {
      this.text.value = typeof reader.result === 'string' ? reader.result : '';
      this.status.textContent = `Read ${f.name}`;
    };
    reader.onerror = () => {
      this.status.textContent = `Could not read ${f.name}`;
    };
    reader.readAsText(f);
  }

  private async analyse(): Promise<void> {
    const where = this.location.value.trim();
    this.status.textContent = 'Analysing…';
    replaceChildren(this.results);
    let answer: AnalyzeResponse;
    try {
      answer = await postPaste(this.text.value, where === '' ? null : where);
    } catch (err) {
      this.status.textContent = `Not analysed: ${err instanceof Error ? err.message : String(err)}`;
      return;
    }
    if (answer.needsSourceLocation) this.locationRow.hidden = false;
    this.status.textContent =
      answer.needsSourceLocation && where === ''
        ? 'The text does not say where it was measured from: give the source location for the physics, then analyse again.'
        : `${answer.traces.length} pasted trace${answer.traces.length === 1 ? '' : 's'}, not stored.`;
    const items = answer.traces.map((t) => this.resultItem(t));
    replaceChildren(this.results, ...items);
    const first = answer.traces[0];
    if (first) this.onShow(first);
  }

  private async save(): Promise<void> {
    const key = this.key.value.trim();
    if (key === '') return;
    const where = this.location.value.trim();
    this.status.textContent = 'Saving…';
    let answer: AnalyzeResponse;
    try {
      answer = await postPaste(this.text.value, where === '' ? null : where, key);
    } catch (err) {
      this.status.textContent = `Not saved: ${err instanceof Error ? err.message : String(err)}`;
      return;
    }
    const ids = (answer.storedTraceIds ?? []).map((id) => `#${id}`).join(', ');
    this.status.textContent =
      answer.newlyStored === 0
        ? `Saved before: trace ${ids}; nothing new stored.`
        : `Saved as trace ${ids} (origin paste).`;
    replaceChildren(this.results, ...answer.traces.map((t) => this.resultItem(t)));
  }

  private resultItem(t: PastedTrace): HTMLElement {
    const show = h('button', { className: 'paste-show', attrs: { type: 'button' } }, 'Show');
    show.addEventListener('click', () => this.onShow(t));
    return h(
      'div',
      { className: 'paste-result', data: { verdict: t.verdict } },
      h(
        'div',
        null,
        h('span', { className: 'badge pasted' }, 'pasted'),
        ' ',
        h('strong', { className: 'paste-verdict' }, verdictText(t)),
        ' ',
        t.target,
        ' ',
        show,
      ),
      h('p', { className: 'minor' }, t.reason),
      t.warnings.length > 0
        ? h('ul', { className: 'paste-warnings' }, ...t.warnings.map((w) => h('li', null, w)))
        : null,
      t.problems.length > 0
        ? h('ul', { className: 'paste-problems' }, ...t.problems.map((p) => h('li', null, p)))
        : null,
    );
  }
}

/** The verdict line the detail view gets for a pasted trace. */
export function pastedNote(t: PastedTrace): HTMLElement {
  return h(
    'div',
    { className: 'pasted-note' },
    h('span', { className: 'badge pasted' }, 'pasted'),
    ' ',
    h('strong', { className: 'pasted-verdict' }, verdictText(t)),
    ' · not stored',
  );
}
