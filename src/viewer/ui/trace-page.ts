/**
 * The trace page at `/trace/<id>` (`?span=<id>` opens a span; `?file=1` shows a trace opened from a file): the
 * summary, the inference phases of a Triton-shaped trace, the waterfall and each span's details.
 *
 * @module
 */

import * as api from './api.ts';
import { h, replaceChildren } from './dom.ts';
import { formatDuration, formatTime, serviceColor } from './format.ts';
import { openedTrace } from './local-traces.ts';
import { fromJaeger, type KeyValue, type Span, type Trace, toOtlp } from './model.ts';
import { phaseSection } from './phases-view.ts';
import { traceTitle } from './results.ts';
import { navigate } from './router.ts';
import { type Waterfall, waterfall } from './waterfall.ts';

/** Loads a trace: from the files opened in this tab, or from the store. */
export async function loadTrace(traceId: string, fromFile: boolean): Promise<{ trace: Trace; fromFile: boolean }> {
  const id = traceId.toLowerCase().padStart(32, '0');
  const local = openedTrace(id);
  if (fromFile && local) return { trace: local, fromFile: true };
  try {
    return { trace: fromJaeger(await api.trace(traceId)), fromFile: false };
  } catch (error) {
    if (local) return { trace: local, fromFile: true };
    throw error;
  }
}

const WATCH_MS = 3000;

export function tracePage(root: HTMLElement, params: readonly string[], query: URLSearchParams): () => void {
  const traceId = params[0] ?? '';
  const loading = h('div', { class: 'card loading' }, `Loading trace ${traceId}…`);
  root.append(loading);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const show = (trace: Trace, fromFile: boolean, focusSpanId: string, arrivals: number | undefined): void => {
    document.title = `${trace.rootService}: ${trace.rootName} · ts-triton traces`;
    replaceChildren(root, ...traceView(trace, fromFile, focusSpanId));
    if (!fromFile) void watch(trace.spans.length, arrivals);
  };
  // Spans of a trace can arrive after it is opened (a client exports its spans after the server): when the store
  // received spans, the trace is asked again, and a notice offers the spans that came.
  const watch = async (shown: number, arrivals?: number): Promise<void> => {
    if (stopped) return;
    try {
      const now = await api.arrivals();
      if (arrivals !== undefined && now !== arrivals) {
        const latest = fromJaeger(await api.trace(traceId));
        if (stopped) return;
        if (latest.spans.length !== shown) {
          const more = latest.spans.length - shown;
          root.prepend(
            h(
              'div',
              { class: 'card notice', role: 'status' },
              `${Math.abs(more)} span${Math.abs(more) === 1 ? '' : 's'} ${more > 0 ? 'more arrived' : 'fewer (evicted)'} since this trace was shown. `,
              h(
                'button',
                { class: 'btn small', type: 'button', onclick: () => show(latest, false, '', now) },
                'Show the trace as it is now',
              ),
            ),
          );
          return;
        }
      }
      arrivals = now;
    } catch {
      // the store is unreachable for now: try again later
    }
    if (!stopped) timer = setTimeout(() => void watch(shown, arrivals), WATCH_MS);
  };
  // The arrival counter is read before the trace, so spans that land in between are noticed.
  const counted = api.arrivals().catch(() => undefined);
  loadTrace(traceId, query.get('file') === '1').then(
    async ({ trace, fromFile }) => {
      const arrivals = await counted;
      if (!stopped) show(trace, fromFile, query.get('span') ?? '', arrivals);
    },
    (error: Error) =>
      replaceChildren(
        root,
        h(
          'div',
          { class: 'card empty' },
          h('h2', null, 'Trace not found'),
          h('p', null, `${traceId}: ${error.message}`),
          h('p', null, h('a', { href: '/search' }, 'Back to search')),
        ),
      ),
  );
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function traceView(trace: Trace, fromFile: boolean, focusSpanId: string): HTMLElement[] {
  // Ranks exist for stored traces only; asked once, shown in each span's details as they open.
  const ranks: Promise<Record<string, api.DurationRank>> = fromFile
    ? Promise.resolve({})
    : api.traceRanks(trace.traceId).catch(() => ({}));
  const wf = waterfall(trace, {
    details: (span, view) => spanDetails(trace, span, fromFile, ranks, view),
    focusSpanId,
  });
  const stat = (label: string, value: string | HTMLElement): HTMLElement =>
    h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value' }, value));
  const compareId = h('input', {
    type: 'text',
    class: 'compare-id',
    placeholder: 'compare with trace id…',
    'aria-label': 'Trace id to compare with',
    spellcheck: false,
  });
  const compareForm = h(
    'form',
    {
      class: 'inline-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (compareId.value.trim()) navigate(`/compare/${trace.traceId}/${compareId.value.trim()}`);
      },
    },
    compareId,
    h('button', { class: 'btn', type: 'submit' }, 'Compare'),
  );
  const header = h(
    'section',
    { class: 'card trace-header' },
    h(
      'div',
      { class: 'trace-header-top' },
      h('h1', null, traceTitle(trace)),
      h('code', { class: 'trace-id', title: 'Trace id' }, trace.traceId),
      fromFile ? h('span', { class: 'badge' }, 'from file') : null,
      h(
        'div',
        { class: 'trace-actions' },
        h(
          'button',
          { class: 'btn', type: 'button', onclick: () => void download(trace, fromFile) },
          'Download OTLP JSON',
        ),
        fromFile
          ? null
          : h(
              'a',
              {
                class: 'btn',
                href: `/api/traces/${encodeURIComponent(trace.traceId)}?prettyPrint=true`,
                target: '_blank',
                title: "The trace as Jaeger's query API answers it",
              },
              'Jaeger JSON',
            ),
        compareForm,
      ),
    ),
    h(
      'div',
      { class: 'stats-row' },
      stat('Started', formatTime(trace.startUs)),
      stat('Duration', formatDuration(trace.durationUs)),
      stat('Services', String(trace.services.size)),
      stat('Spans', String(trace.spans.length)),
      stat('Depth', String(trace.maxDepth + 1)),
      stat('Errors', trace.errors > 0 ? h('span', { class: 'error-text' }, String(trace.errors)) : '0'),
    ),
    h(
      'div',
      { class: 'legend' },
      [...trace.services].map(([name, n]) =>
        h(
          'span',
          { class: 'chip' },
          h('span', { class: 'svc-dot', style: { background: serviceColor(name) } }),
          `${name} (${n})`,
        ),
      ),
      h('span', { class: 'legend-item' }, h('span', { class: 'legend-critical' }), 'critical path'),
      h('span', { class: 'legend-item' }, h('span', { class: 'legend-event' }), 'event'),
    ),
  );
  const tools = h(
    'div',
    { class: 'wf-tools' },
    h('button', { class: 'btn small', type: 'button', onclick: () => wf.expandAll() }, 'Expand all'),
    h('button', { class: 'btn small', type: 'button', onclick: () => wf.collapseAll() }, 'Collapse all'),
    h(
      'span',
      { class: 'hint' },
      'Click a span for its attributes, events, links and resource; drag across the ruler to zoom.',
    ),
    findBox(wf),
  );
  const phases = phaseSection(trace);
  return [header, ...(phases ? [phases] : []), h('section', { class: 'card waterfall-card' }, tools, wf.element)];
}

/** The find box: marks the spans that mention the text. */
function findBox(wf: Waterfall): HTMLElement {
  const count = h('span', { class: 'find-count muted' });
  const input = h('input', {
    type: 'search',
    class: 'find',
    placeholder: 'Find in trace…',
    'aria-label': 'Find spans by service, operation, id, attribute or event',
    spellcheck: false,
    oninput: () => {
      const n = wf.find(input.value);
      count.textContent = input.value.trim() ? `${n} span${n === 1 ? '' : 's'}` : '';
    },
  });
  return h('span', { class: 'find-wrap' }, input, count);
}

async function download(trace: Trace, fromFile: boolean): Promise<void> {
  let otlp = toOtlp(trace);
  if (!fromFile) {
    try {
      otlp = await api.otlpTrace(trace.traceId);
    } catch {
      // the v3 API is unavailable: the page's own conversion of the trace is the download
    }
  }
  const url = URL.createObjectURL(new Blob([JSON.stringify(otlp, null, 2)], { type: 'application/json' }));
  const a = h('a', { href: url, download: `trace-${trace.traceId}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function valueText(kv: KeyValue): string {
  return typeof kv.value === 'string' ? kv.value : String(kv.value);
}

function kvTable(list: readonly KeyValue[], empty: string): HTMLElement {
  if (list.length === 0) return h('p', { class: 'muted' }, empty);
  return h(
    'table',
    { class: 'kv' },
    h(
      'tbody',
      null,
      list.map((kv) =>
        h('tr', null, h('th', { scope: 'row' }, kv.key), h('td', { class: `v-${kv.type}` }, valueText(kv))),
      ),
    ),
  );
}

function section(title: string, count: number | undefined, ...content: HTMLElement[]): HTMLElement {
  return h(
    'details',
    { class: 'detail-section', open: true },
    h('summary', null, title, count !== undefined ? h('span', { class: 'count' }, String(count)) : null),
    ...content,
  );
}

/** The duration's rank among the stored spans of its operation, filled in when the ranks arrive. */
function rankLabel(span: Span, ranks: Promise<Record<string, api.DurationRank>>): HTMLElement {
  const rank = h('span', { class: 'rank muted' });
  void ranks.then((all) => {
    const r = all[span.spanId];
    if (!r) return;
    rank.textContent =
      r.count <= 1
        ? 'the only stored span of this operation'
        : `p${Math.floor(r.percentile)} of ${r.count.toLocaleString('en-US')} "${span.name}" spans`;
    rank.title = `${r.percentile.toFixed(1)}% of the stored ${span.service} "${span.name}" spans took at most ${formatDuration(span.durationUs)}`;
    rank.className = `rank${r.percentile >= 90 && r.count > 1 ? ' slow' : ''}`;
  });
  return rank;
}

/** A link to a span: one of this trace is focused in place; another trace's page opens at the span. */
function spanAnchor(
  trace: Trace,
  traceId: string,
  spanId: string,
  fromFile: boolean,
  view: Waterfall,
  text: string,
): HTMLElement {
  const here = traceId === trace.traceId && trace.spans.some((s) => s.spanId === spanId);
  const file = fromFile && (here || openedTrace(traceId)) ? '&file=1' : '';
  return h(
    'a',
    {
      class: 'span-link',
      href: `/trace/${encodeURIComponent(traceId)}?span=${encodeURIComponent(spanId)}${file}`,
      'data-trace-id': traceId,
      'data-span-id': spanId,
      onclick: here
        ? (e: MouseEvent) => {
            if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
            e.preventDefault();
            view.focus(spanId);
          }
        : undefined,
    },
    text,
  );
}

function eventsTable(trace: Trace, span: Span): HTMLElement {
  if (span.events.length === 0) return h('p', { class: 'muted' }, 'No events.');
  return h(
    'table',
    { class: 'events' },
    h(
      'tbody',
      null,
      span.events.map((e) =>
        h(
          'tr',
          { 'data-event': e.name },
          h(
            'td',
            { class: 'event-time', title: `+${formatDuration(e.timeUs - trace.startUs)} since the trace started` },
            `+${formatDuration(e.timeUs - span.startUs)}`,
          ),
          h('td', { class: 'event-name' }, e.name),
          h('td', null, e.attributes.length > 0 ? kvTable(e.attributes, '') : ''),
        ),
      ),
    ),
  );
}

/** A span's details: duration and its rank, kind, status, ids; attributes, events, links, resource, scope. */
function spanDetails(
  trace: Trace,
  span: Span,
  fromFile: boolean,
  ranks: Promise<Record<string, api.DurationRank>>,
  view: Waterfall,
): HTMLElement {
  const parent = trace.spans.find((s) => s.spanId === span.parentId);
  const fact = (label: string, ...value: (string | HTMLElement)[]): HTMLElement =>
    h(
      'div',
      { class: 'fact' },
      h('span', { class: 'fact-label' }, label),
      h('span', { class: 'fact-value' }, ...value),
    );
  const zoom = (): void => {
    const pad = Math.max(1, span.durationUs * 0.03);
    view.zoom({ startUs: span.startUs - pad, endUs: span.startUs + span.durationUs + pad });
  };
  const links = span.links.map((link) =>
    h(
      'li',
      null,
      spanAnchor(
        trace,
        link.traceId,
        link.spanId,
        fromFile,
        view,
        link.traceId === trace.traceId
          ? `span ${link.spanId} in this trace`
          : `trace ${link.traceId} · span ${link.spanId}`,
      ),
      link.attributes.length > 0 ? kvTable(link.attributes, '') : null,
    ),
  );
  const scope: KeyValue[] = [{ key: 'name', value: span.scope.name, type: 'string' }];
  if (span.scope.version) scope.push({ key: 'version', value: span.scope.version, type: 'string' });
  return h(
    'div',
    { class: 'detail', onclick: (e: Event) => e.stopPropagation() },
    h(
      'div',
      { class: 'facts' },
      fact('Duration', h('b', null, formatDuration(span.durationUs)), ' ', rankLabel(span, ranks)),
      fact('Starts at', `+${formatDuration(span.startUs - trace.startUs)}`),
      fact('Service', span.service),
      fact('Kind', span.kind || 'unspecified'),
      fact(
        'Status',
        span.status === 'ERROR'
          ? h('span', { class: 'error-text' }, `ERROR${span.statusMessage ? `: ${span.statusMessage}` : ''}`)
          : span.status || 'unset',
      ),
      fact('Span id', h('code', null, span.spanId)),
      h(
        'button',
        {
          class: 'btn small zoom-span',
          type: 'button',
          title: 'Show only this span’s time on the ruler',
          onclick: zoom,
        },
        'Zoom to span',
      ),
      fact(
        'Parent',
        parent
          ? spanAnchor(trace, trace.traceId, parent.spanId, fromFile, view, `${parent.name} (${parent.spanId})`)
          : span.parentId
            ? h('code', null, `${span.parentId} (not in this trace)`)
            : 'none (root span)',
      ),
    ),
    section('Attributes', span.attributes.length, kvTable(span.attributes, 'No attributes.')),
    section('Events (time since the span started)', span.events.length, eventsTable(trace, span)),
    span.links.length > 0 ? section('Links', span.links.length, h('ul', { class: 'links' }, links)) : null,
    section('Resource', span.resource.length, kvTable(span.resource, 'No resource attributes.')),
    span.scope.name ? section('Instrumentation scope', undefined, kvTable(scope, '')) : null,
  );
}
