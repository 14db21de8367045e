/**
 * The search page: the form (service, operation, tags, time range, durations, limit), the scatter plot and the
 * list of traces. The form lives in the URL, so a search can be reloaded and shared. While the page is open it
 * asks again every few seconds and marks the traces that came in since.
 *
 * @module
 */

import * as api from './api.ts';
import { h, replaceChildren } from './dom.ts';
import { DURATION_PATTERN, parseTags, serviceColor } from './format.ts';
import { openedTraces } from './local-traces.ts';
import { fromJaeger, type Trace } from './model.ts';
import { resultItem, scatterPlot } from './results.ts';
import { navigate } from './router.ts';

const LOOKBACKS: readonly [string, string, number][] = [
  ['5m', 'Last 5 minutes', 5 * 60],
  ['15m', 'Last 15 minutes', 15 * 60],
  ['1h', 'Last hour', 3600],
  ['2h', 'Last 2 hours', 7200],
  ['6h', 'Last 6 hours', 6 * 3600],
  ['12h', 'Last 12 hours', 12 * 3600],
  ['24h', 'Last 24 hours', 24 * 3600],
  ['2d', 'Last 2 days', 48 * 3600],
  ['7d', 'Last 7 days', 7 * 24 * 3600],
];
const POLL_MS = 3000;
const DEFAULT_LIMIT = '20';

type SortKey = 'recent' | 'longest' | 'shortest' | 'spans';
const SORTS: Record<SortKey, [string, (a: Trace, b: Trace) => number]> = {
  recent: ['Most recent', (a, b) => b.startUs - a.startUs],
  longest: ['Longest first', (a, b) => b.durationUs - a.durationUs],
  shortest: ['Shortest first', (a, b) => a.durationUs - b.durationUs],
  spans: ['Most spans', (a, b) => b.spans.length - a.spans.length],
};

/** The `/api/traces` parameters of the form's query, with the time window ending now. */
function searchParams(query: URLSearchParams, tags: [string, string][]): URLSearchParams {
  const params = new URLSearchParams();
  params.set('service', query.get('service') ?? '');
  const operation = query.get('operation');
  if (operation) params.set('operation', operation);
  if (tags.length > 0) params.set('tags', JSON.stringify(Object.fromEntries(tags)));
  const nowUs = Date.now() * 1000;
  const lookback = query.get('lookback') ?? '1h';
  if (lookback === 'custom') {
    const start = Date.parse(query.get('start') ?? '');
    const end = Date.parse(query.get('end') ?? '');
    params.set('start', String((Number.isNaN(start) ? Date.now() - 3_600_000 : start) * 1000));
    params.set('end', String(Number.isNaN(end) ? nowUs : end * 1000));
  } else {
    const seconds = LOOKBACKS.find(([key]) => key === lookback)?.[2] ?? 3600;
    params.set('start', String(nowUs - seconds * 1_000_000));
    params.set('end', String(nowUs));
  }
  params.set('lookback', lookback);
  for (const key of ['minDuration', 'maxDuration']) {
    const value = query.get(key);
    if (value) params.set(key, value);
  }
  params.set('limit', query.get('limit') || DEFAULT_LIMIT);
  return params;
}

function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  return h(
    'label',
    { class: 'field' },
    h('span', { class: 'field-label' }, label),
    control,
    hint ? h('span', { class: 'field-hint' }, hint) : null,
  );
}

function select(name: string, options: readonly [string, string][], value: string): HTMLSelectElement {
  const el = h(
    'select',
    { name },
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)),
  );
  el.value = value;
  return el;
}

/** The results: scatter plot, header (count, live toggle, order, compare) and list; marks traces new since the first. */
interface ResultsPane {
  readonly element: HTMLElement;
  readonly status: HTMLElement;
  readonly live: HTMLInputElement;
  /** Shows a search's traces; after the first, those not seen before are marked new. */
  show(found: Trace[], first: boolean): void;
  redraw(): void;
}

function resultsPane(fromFile: boolean, initialSort: SortKey): ResultsPane {
  const seen = new Set<string>();
  const fresh = new Set<string>();
  const picked: string[] = [];
  let traces: Trace[] = [];
  let sort = initialSort;
  const status = h('div', { class: 'search-status', role: 'status' });
  const plotBox = h('div', { class: 'card plot-card', hidden: true });
  const list = h('div', { class: 'results', 'data-testid': 'results' });
  const compareButton = h(
    'button',
    {
      class: 'btn',
      type: 'button',
      disabled: true,
      onclick: () => navigate(`/compare/${picked[0]}/${picked[1]}${fromFile ? '?file=1' : ''}`),
    },
    'Compare 2 traces',
  );
  const sortSelect = select(
    'sort',
    Object.entries(SORTS).map(([k, [label]]) => [k, label]),
    sort,
  );
  sortSelect.onchange = () => {
    sort = sortSelect.value as SortKey;
    // Kept in the URL (without a new history entry), so a reload keeps the order.
    const url = new URL(location.href);
    url.searchParams.set('sort', sort);
    history.replaceState(null, '', url);
    redraw();
  };
  const live = h('input', { type: 'checkbox', checked: !fromFile, disabled: fromFile });
  /** At most two traces are picked; picking a third drops the oldest pick. */
  const pick = (traceId: string, on: boolean): void => {
    const at = picked.indexOf(traceId);
    if (on && at < 0) picked.push(traceId);
    if (!on && at >= 0) picked.splice(at, 1);
    while (picked.length > 2) picked.shift();
    compareButton.disabled = picked.length !== 2;
    for (const box of list.querySelectorAll<HTMLInputElement>('.compare-pick')) {
      box.checked = picked.includes(box.closest<HTMLElement>('.result')!.dataset['traceId']!);
    }
  };
  const redraw = (): void => {
    const maxDuration = Math.max(1, ...traces.map((t) => t.durationUs));
    // Shown before it is measured: a hidden box is 0 wide.
    plotBox.hidden = traces.length === 0;
    replaceChildren(plotBox, traces.length > 0 ? scatterPlot(traces, fromFile, plotBox.clientWidth - 26, fresh) : null);
    replaceChildren(
      list,
      [...traces].sort(SORTS[sort][1]).map((t) =>
        resultItem(t, maxDuration, {
          fromFile,
          fresh: fresh.has(t.traceId),
          selected: picked.includes(t.traceId),
          onSelect: (on) => pick(t.traceId, on),
        }),
      ),
    );
  };
  return {
    element: h(
      'section',
      { class: 'search-main' },
      plotBox,
      h(
        'div',
        { class: 'results-header' },
        status,
        h(
          'div',
          { class: 'results-tools' },
          h(
            'label',
            { class: 'live', title: 'Search again every 3 seconds' },
            live,
            h('span', { class: 'live-dot' }),
            'Live',
          ),
          sortSelect,
          compareButton,
        ),
      ),
      list,
    ),
    status,
    live,
    show(found, first) {
      for (const t of found) {
        if (!first && !seen.has(t.traceId)) fresh.add(t.traceId);
        seen.add(t.traceId);
      }
      traces = found;
      const n = found.length;
      status.textContent = `${n} trace${n === 1 ? '' : 's'}${fresh.size > 0 ? ` · ${fresh.size} new` : ''}`;
      redraw();
    },
    redraw,
  };
}

/**
 * Runs a search now and, while `live()` holds, again every few seconds when the store's arrival counter (cheap to
 * ask) moved since the counter was read before the last search. Returns the function that stops it.
 */
function liveSearch(
  params: () => URLSearchParams,
  live: () => boolean,
  found: (traces: Trace[], first: boolean) => void,
  failed: (message: string) => void,
): { stop: () => void; wake: () => void } {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let controller: AbortController | undefined;
  let lastArrivals: number | undefined;
  const run = async (first: boolean): Promise<void> => {
    controller?.abort();
    controller = new AbortController();
    try {
      lastArrivals = await api.arrivals().catch(() => undefined);
      const traces = (await api.searchTraces(params(), controller.signal)).filter((t) => t.traceID).map(fromJaeger);
      if (!stopped) found(traces, first);
    } catch (error) {
      if ((error as Error).name === 'AbortError' || stopped) return;
      failed((error as Error).message);
    }
    schedule();
  };
  const poll = async (): Promise<void> => {
    const now = await api.arrivals().catch(() => undefined);
    if (now !== undefined && now === lastArrivals) schedule();
    else await run(false);
  };
  const schedule = (): void => {
    clearTimeout(timer);
    if (!stopped && live()) timer = setTimeout(() => void poll(), POLL_MS);
  };
  void run(true);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
    },
    wake: schedule,
  };
}

/** The search page at `/search` (and `/`); `?file=1` lists the traces opened from files instead. */
export function searchPage(root: HTMLElement, _params: readonly string[], query: URLSearchParams): () => void {
  let stopped = false;
  const fromFile = query.get('file') === '1';
  const sortParam = query.get('sort') as SortKey;
  const pane = resultsPane(fromFile, sortParam in SORTS ? sortParam : 'recent');
  root.append(h('div', { class: 'search-layout' }, searchForm(query, fromFile), pane.element));
  const tagsResult = parseTags(query.get('tags') ?? '');
  let search: { stop: () => void; wake: () => void } | undefined;

  if (fromFile) {
    const opened = openedTraces();
    pane.show(opened, true);
    pane.status.textContent = `${opened.length} trace${opened.length === 1 ? '' : 's'} opened from files`;
  } else if (!query.get('service')) {
    const empty = emptyState();
    pane.element.querySelector<HTMLElement>('.results-header')!.hidden = true;
    pane.element.querySelector('.results')!.append(empty);
    void waitForServices(empty, () => stopped);
  } else if ('error' in tagsResult) {
    pane.status.append(h('span', { class: 'error-text' }, `Tags: ${tagsResult.error}`));
  } else {
    pane.status.textContent = 'Searching…';
    search = liveSearch(
      () => searchParams(query, tagsResult.tags),
      () => pane.live.checked,
      (traces, first) => pane.show(traces, first),
      (message) => replaceChildren(pane.status, h('span', { class: 'error-text' }, `Search failed: ${message}`)),
    );
    pane.live.onchange = () => search?.wake();
  }
  const onResize = (): void => pane.redraw();
  window.addEventListener('resize', onResize);
  return () => {
    stopped = true;
    search?.stop();
    window.removeEventListener('resize', onResize);
  };
}

/**
 * With no service chosen: once services exist, a single one is searched at once (the usual first visit, with
 * `npm start`); several are offered as links. Until the first spans arrive, services are asked for again.
 */
async function waitForServices(empty: HTMLElement, stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    let names: string[] = [];
    try {
      names = (await api.services()).sort();
    } catch {
      // the server is restarting or gone: ask again
    }
    if (stopped()) return;
    if (names.length === 1) {
      navigate(`/search?service=${encodeURIComponent(names[0]!)}`, true);
      return;
    }
    if (names.length > 1) {
      empty.append(
        h('h2', null, 'Services with traces'),
        h(
          'ul',
          { class: 'service-links' },
          names.map((n) =>
            h(
              'li',
              null,
              h(
                'a',
                { href: `/search?service=${encodeURIComponent(n)}` },
                h('span', { class: 'svc-dot', style: { background: serviceColor(n) } }),
                n,
              ),
            ),
          ),
        ),
      );
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function emptyState(): HTMLElement {
  return h(
    'div',
    { class: 'card empty' },
    h('h2', null, 'Find a trace'),
    h(
      'p',
      null,
      'Pick a service on the left and press ',
      h('b', null, 'Find traces'),
      '. Services appear as soon as their first spans arrive.',
    ),
    h(
      'p',
      null,
      'Send spans over OTLP to this viewer’s receivers — unless set otherwise, OTLP/HTTP on port 4318 (',
      h('code', null, 'POST /v1/traces'),
      ', protobuf or JSON) and OTLP/gRPC on port 4317, where OpenTelemetry SDKs send by default. With ',
      h('code', null, 'npm start'),
      ', the example server traces into this viewer: try',
    ),
    h(
      'pre',
      null,
      `curl -sS http://127.0.0.1:8000/v2/models/passthrough/generate \\\n  -H 'Content-Type: application/json' -d '{"sleep": 0.001, "error": false}'`,
    ),
    h(
      'p',
      null,
      'A trace saved as OTLP JSON or Jaeger JSON opens with ',
      h('b', null, 'Open file…'),
      ' (or dropped on the page).',
    ),
  );
}

/** The form; submitting it writes the query into the URL, which runs the search. */
function searchForm(query: URLSearchParams, fromFile: boolean): HTMLElement {
  const service = h('select', { name: 'service', required: true }, h('option', { value: '' }, 'Loading services…'));
  const operation = h('select', { name: 'operation' }, h('option', { value: '' }, 'All operations'));
  const tags = h('input', {
    name: 'tags',
    type: 'text',
    placeholder: 'http.status_code=200 error=true',
    value: query.get('tags') ?? '',
    spellcheck: false,
  });
  const lookback = select(
    'lookback',
    [...LOOKBACKS.map(([k, label]): [string, string] => [k, label]), ['custom', 'Custom range']],
    query.get('lookback') ?? '1h',
  );
  const start = h('input', { name: 'start', type: 'datetime-local', step: 1, value: query.get('start') ?? '' });
  const end = h('input', { name: 'end', type: 'datetime-local', step: 1, value: query.get('end') ?? '' });
  const custom = h('div', { class: 'custom-range' }, field('From', start), field('To', end));
  custom.hidden = lookback.value !== 'custom';
  lookback.onchange = () => (custom.hidden = lookback.value !== 'custom');
  const minDuration = h('input', {
    name: 'minDuration',
    type: 'text',
    placeholder: 'e.g. 1.2ms',
    value: query.get('minDuration') ?? '',
    pattern: DURATION_PATTERN.source,
    spellcheck: false,
  });
  const maxDuration = h('input', {
    name: 'maxDuration',
    type: 'text',
    placeholder: 'e.g. 2s',
    value: query.get('maxDuration') ?? '',
    pattern: DURATION_PATTERN.source,
    spellcheck: false,
  });
  const limit = h('input', {
    name: 'limit',
    type: 'number',
    min: 1,
    max: 1500,
    value: query.get('limit') ?? DEFAULT_LIMIT,
  });
  const error = h('p', { class: 'form-error', role: 'alert' });

  const loadOperations = async (keep: string): Promise<void> => {
    replaceChildren(operation, h('option', { value: '' }, 'All operations'));
    if (!service.value) return;
    try {
      for (const name of (await api.operations(service.value)).sort())
        operation.append(h('option', { value: name }, name));
      operation.value = keep;
    } catch (e) {
      error.textContent = `Operations: ${(e as Error).message}`;
    }
  };
  service.onchange = () => void loadOperations('');
  void (async () => {
    try {
      const names = (await api.services()).sort();
      replaceChildren(
        service,
        h('option', { value: '' }, names.length ? 'Choose a service' : 'No services yet'),
        names.map((n) => h('option', { value: n }, n)),
      );
      const wanted = query.get('service') ?? '';
      if (wanted && !names.includes(wanted)) service.append(h('option', { value: wanted }, wanted));
      service.value = wanted || (names.length === 1 ? names[0]! : '');
      await loadOperations(query.get('operation') ?? '');
    } catch (e) {
      replaceChildren(service, h('option', { value: '' }, 'Services unavailable'));
      error.textContent = `Services: ${(e as Error).message}`;
    }
  })();

  const submit = (event: Event): void => {
    event.preventDefault();
    error.textContent = '';
    const parsed = parseTags(tags.value);
    if ('error' in parsed) {
      error.textContent = `Tags: ${parsed.error}`;
      return;
    }
    if (!service.value) {
      error.textContent = 'Choose a service.';
      return;
    }
    const q = new URLSearchParams();
    const put = (key: string, value: string): void => {
      if (value.trim() !== '') q.set(key, value.trim());
    };
    put('service', service.value);
    put('operation', operation.value);
    put('tags', tags.value);
    put('lookback', lookback.value);
    if (lookback.value === 'custom') {
      put('start', start.value);
      put('end', end.value);
    }
    put('minDuration', minDuration.value);
    put('maxDuration', maxDuration.value);
    put('limit', limit.value);
    navigate(`/search?${q}`);
  };

  return h(
    'form',
    { class: 'card search-form', onsubmit: submit, 'aria-label': 'Search traces' },
    h('h2', null, fromFile ? 'Search stored traces' : 'Search'),
    field('Service', service),
    field('Operation', operation),
    field('Tags', tags, 'key=value, space-separated; matches span, resource and event attributes'),
    field('Lookback', lookback),
    custom,
    h('div', { class: 'field-row' }, field('Min duration', minDuration), field('Max duration', maxDuration)),
    field('Limit results', limit),
    error,
    h('button', { class: 'btn primary', type: 'submit' }, 'Find traces'),
  );
}
