/**
 * Two traces side by side at `/compare/<a>/<b>`: per operation, how many spans and how much time each trace has
 * (and the difference), then both waterfalls.
 *
 * @module
 */

import { h, replaceChildren } from './dom.ts';
import { formatDuration, serviceColor } from './format.ts';
import { type RequestPhases, requestPhases } from '../phases.ts';
import { phaseSpans, type Trace } from './model.ts';
import { phaseBar } from './phases-view.ts';
import { traceHref, traceTitle } from './results.ts';
import { navigate } from './router.ts';
import { loadTrace } from './trace-page.ts';
import { waterfall } from './waterfall.ts';

interface OperationTotals {
  readonly service: string;
  readonly name: string;
  count: number;
  totalUs: number;
  errors: number;
}

/** Span count, summed duration and errors per (service, operation). */
export function operationTotals(trace: Trace): Map<string, OperationTotals> {
  const totals = new Map<string, OperationTotals>();
  for (const span of trace.spans) {
    const key = `${span.service}\u0000${span.name}`;
    let t = totals.get(key);
    if (!t) totals.set(key, (t = { service: span.service, name: span.name, count: 0, totalUs: 0, errors: 0 }));
    t.count++;
    t.totalUs += span.durationUs;
    if (span.status === 'ERROR') t.errors++;
  }
  return totals;
}

function pickForm(first: string): HTMLElement {
  const a = h('input', {
    type: 'text',
    value: first,
    placeholder: 'first trace id',
    'aria-label': 'First trace id',
    spellcheck: false,
    size: 34,
  });
  const b = h('input', {
    type: 'text',
    placeholder: 'second trace id',
    'aria-label': 'Second trace id',
    spellcheck: false,
    size: 34,
  });
  return h(
    'form',
    {
      class: 'card compare-pick-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (a.value.trim() && b.value.trim()) navigate(`/compare/${a.value.trim()}/${b.value.trim()}`);
      },
    },
    h('h2', null, 'Compare two traces'),
    h('p', { class: 'muted' }, 'Enter two trace ids, or tick two traces in the search results and press Compare.'),
    h('div', { class: 'inline-form' }, a, b, h('button', { class: 'btn primary', type: 'submit' }, 'Compare')),
  );
}

export function comparePage(root: HTMLElement, params: readonly string[], query: URLSearchParams): void {
  const [a = '', b = ''] = params;
  if (!a || !b) {
    root.append(pickForm(a));
    return;
  }
  root.append(h('div', { class: 'card loading' }, 'Loading both traces…'));
  const fromFile = query.get('file') === '1';
  // Fire and forget: the page shows the loading card now and replaces it once both loads settle; allSettled
  // never rejects, and each load's failure is shown on the page.
  void Promise.allSettled([loadTrace(a, fromFile), loadTrace(b, fromFile)]).then(([ra, rb]) => {
    const failed = [ra, rb].flatMap((r, i) =>
      r.status === 'rejected' ? [`${params[i]}: ${(r.reason as Error).message}`] : [],
    );
    if (ra.status === 'rejected' || rb.status === 'rejected') {
      replaceChildren(
        root,
        h(
          'div',
          { class: 'card empty' },
          h('h2', null, 'Cannot compare'),
          failed.map((f) => h('p', null, f)),
        ),
        pickForm(a),
      );
      return;
    }
    replaceChildren(root, ...compareView(ra.value, rb.value));
  });
}

function compareView(
  left: { trace: Trace; fromFile: boolean },
  right: { trace: Trace; fromFile: boolean },
): HTMLElement[] {
  const A = left.trace;
  const B = right.trace;
  const ta = operationTotals(A);
  const tb = operationTotals(B);
  const keys = [...new Set([...ta.keys(), ...tb.keys()])];
  const rows = keys.map((key) => {
    const x = ta.get(key);
    const y = tb.get(key);
    const any = (x ?? y)!;
    const delta = (y?.totalUs ?? 0) - (x?.totalUs ?? 0);
    const cls = !x ? 'only-b' : !y ? 'only-a' : x.count !== y.count ? 'changed' : '';
    const cell = (t: OperationTotals | undefined): HTMLElement =>
      h(
        'td',
        { class: 'num' },
        t ? `${formatDuration(t.totalUs)}${t.count > 1 ? ` (${t.count}×)` : ''}` : '—',
        t && t.errors > 0 ? h('span', { class: 'err-icon', title: `${t.errors} errors` }, '!') : null,
      );
    return h(
      'tr',
      { class: cls },
      h('td', null, h('span', { class: 'svc-dot', style: { background: serviceColor(any.service) } }), any.service),
      h(
        'td',
        null,
        any.name,
        cls === 'only-a'
          ? h('span', { class: 'badge' }, 'only in A')
          : cls === 'only-b'
            ? h('span', { class: 'badge' }, 'only in B')
            : null,
      ),
      cell(x),
      cell(y),
      h(
        'td',
        { class: `num ${delta > 0 ? 'slower' : delta < 0 ? 'faster' : ''}` },
        x && y ? `${delta > 0 ? '+' : delta < 0 ? '−' : '±'}${formatDuration(Math.abs(delta))}` : '',
      ),
    );
  });
  const side = (label: string, t: { trace: Trace; fromFile: boolean }): HTMLElement =>
    h(
      'section',
      { class: 'card compare-side' },
      h(
        'div',
        { class: 'compare-side-head' },
        h('span', { class: `side-label side-${label.toLowerCase()}` }, label),
        h('a', { href: traceHref(t.trace, t.fromFile) }, traceTitle(t.trace)),
      ),
      h(
        'p',
        { class: 'muted' },
        h('code', null, t.trace.traceId),
        ` · ${formatDuration(t.trace.durationUs)} · ${t.trace.spans.length} spans${t.trace.errors ? ` · ${t.trace.errors} errors` : ''}`,
      ),
      waterfall(t.trace, { compact: true }).element,
    );
  const durationDelta = B.durationUs - A.durationUs;
  // Inference-aware: both traces' Triton requests as phase bars on one scale.
  const requestsA = requestPhases(phaseSpans(A));
  const requestsB = requestPhases(phaseSpans(B));
  const longest = Math.max(1, ...[...requestsA, ...requestsB].map((r) => r.totalNs));
  const phaseRows = (label: string, requests: RequestPhases[]): HTMLElement[] =>
    requests.map((r) =>
      h(
        'div',
        { class: 'compare-phase-row' },
        h('span', { class: `side-label side-${label.toLowerCase()}` }, label),
        h('span', { class: 'compare-phase-name' }, `${r.model} · ${formatDuration(r.totalNs / 1000)}`),
        h(
          'div',
          { class: 'compare-phase-track' },
          h('div', { style: { width: `${(r.totalNs / longest) * 100}%` } }, phaseBar(r, r.totalNs / longest)),
        ),
      ),
    );
  const phases =
    requestsA.length + requestsB.length > 0
      ? h(
          'div',
          { class: 'compare-phases', 'data-testid': 'compare-phases' },
          h('h2', null, 'Inference time'),
          phaseRows('A', requestsA),
          phaseRows('B', requestsB),
        )
      : null;
  return [
    h(
      'section',
      { class: 'card' },
      h('h1', null, 'Compare traces'),
      h(
        'p',
        null,
        `B took ${formatDuration(Math.abs(durationDelta))} ${durationDelta >= 0 ? 'longer' : 'less'} than A (${formatDuration(A.durationUs)} → ${formatDuration(B.durationUs)}); ${A.spans.length} → ${B.spans.length} spans.`,
      ),
      h(
        'table',
        { class: 'compare-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', null, 'Service'),
            h('th', null, 'Operation'),
            h('th', { class: 'num' }, 'A'),
            h('th', { class: 'num' }, 'B'),
            h('th', { class: 'num' }, 'B − A'),
          ),
        ),
        h('tbody', null, rows),
      ),
      phases,
    ),
    h('div', { class: 'compare-grid' }, side('A', left), side('B', right)),
  ];
}
