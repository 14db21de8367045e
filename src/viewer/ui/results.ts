/**
 * Search results: the duration-over-time scatter plot and the list of traces, shared by the search page and the
 * list of traces opened from files.
 *
 * @module
 */

import { h, s } from './dom.ts';
import { formatAgo, formatDuration, formatTime, niceStep, serviceColor, shortId } from './format.ts';
import type { Trace } from './model.ts';
import { navigate } from './router.ts';

/** Where a trace's page is: stored traces by id, traces from files marked so. */
export function traceHref(trace: Trace, fromFile = false, spanId = ''): string {
  const query = new URLSearchParams();
  if (fromFile) query.set('file', '1');
  if (spanId) query.set('span', spanId);
  const q = query.toString();
  return `/trace/${encodeURIComponent(trace.traceId)}${q ? `?${q}` : ''}`;
}

/** A trace's title, as Jaeger UI writes it: the root span's service and operation. */
export function traceTitle(trace: Trace): HTMLElement {
  return h(
    'span',
    { class: 'trace-title' },
    h('span', { class: 'svc-dot', style: { background: serviceColor(trace.rootService) } }),
    h('span', { class: 'svc-name' }, trace.rootService),
    h('span', { class: 'op-name' }, trace.rootName),
  );
}

/** A time axis label: to the tenth of a second over short ranges, to the second otherwise. */
function axisTime(us: number, rangeUs: number): string {
  const text = formatTime(us);
  return rangeUs < 20_000_000 ? text.slice(0, -2) : text.replace(/\.\d+$/, '');
}

const PLOT_HEIGHT = 190;
const PAD = { left: 64, right: 16, top: 12, bottom: 28 };

/** Each trace as a dot: start time across, duration up; size by span count; red when it has errors. */
export function scatterPlot(
  traces: readonly Trace[],
  fromFile: boolean,
  width: number,
  fresh: ReadonlySet<string>,
): SVGSVGElement {
  const w = Math.max(320, width);
  const plotW = w - PAD.left - PAD.right;
  const plotH = PLOT_HEIGHT - PAD.top - PAD.bottom;
  const svg = s('svg', {
    class: 'scatter',
    width: w,
    height: PLOT_HEIGHT,
    viewBox: `0 0 ${w} ${PLOT_HEIGHT}`,
    role: 'img',
    'aria-label': 'Trace durations over time',
  });
  if (traces.length === 0) return svg;
  let t0 = Math.min(...traces.map((t) => t.startUs));
  let t1 = Math.max(...traces.map((t) => t.startUs));
  if (t1 - t0 < 1_000_000) {
    const mid = (t0 + t1) / 2;
    t0 = mid - 500_000;
    t1 = mid + 500_000;
  }
  const maxDur = Math.max(...traces.map((t) => t.durationUs), 1);
  const yStep = niceStep(maxDur, 4);
  const yMax = Math.ceil((maxDur * 1.08) / yStep) * yStep;
  const x = (us: number): number => PAD.left + ((us - t0) / (t1 - t0)) * plotW;
  const y = (us: number): number => PAD.top + plotH - (us / yMax) * plotH;
  for (let v = 0; v <= yMax + yStep / 2; v += yStep) {
    svg.append(
      s('line', { class: 'grid', x1: PAD.left, x2: w - PAD.right, y1: y(v), y2: y(v) }),
      s('text', { class: 'axis-label', x: PAD.left - 8, y: y(v) + 4, 'text-anchor': 'end' }, formatDuration(v)),
    );
  }
  const xTicks = Math.max(2, Math.floor(plotW / 140));
  for (let i = 0; i <= xTicks; i++) {
    const us = t0 + ((t1 - t0) * i) / xTicks;
    svg.append(
      s(
        'text',
        {
          class: 'axis-label',
          x: x(us),
          y: PLOT_HEIGHT - 8,
          'text-anchor': i === 0 ? 'start' : i === xTicks ? 'end' : 'middle',
        },
        axisTime(us, t1 - t0),
      ),
    );
  }
  const sorted = [...traces].sort((a, b) => b.spans.length - a.spans.length);
  for (const trace of sorted) {
    const r = Math.min(12, 3.5 + Math.sqrt(trace.spans.length));
    const dot = s(
      'circle',
      {
        class: `dot${trace.errors > 0 ? ' error' : ''}${fresh.has(trace.traceId) ? ' fresh' : ''}`,
        cx: x(trace.startUs),
        cy: y(trace.durationUs),
        r,
        fill: trace.errors > 0 ? '#e03131' : serviceColor(trace.rootService),
        'data-trace-id': trace.traceId,
        onclick: () => navigate(traceHref(trace, fromFile)),
      },
      s(
        'title',
        null,
        `${trace.rootService}: ${trace.rootName}\n${formatDuration(trace.durationUs)} · ${trace.spans.length} spans${trace.errors ? ` · ${trace.errors} errors` : ''}\n${formatTime(trace.startUs)}`,
      ),
    );
    svg.append(dot);
  }
  return svg;
}

/** One trace in the list: title, id, duration bar, span and error counts, services, when. */
export function resultItem(
  trace: Trace,
  maxDuration: number,
  options: { fromFile: boolean; fresh: boolean; selected: boolean; onSelect: (on: boolean) => void },
): HTMLElement {
  const services = [...trace.services].map(([name, count]) =>
    h(
      'span',
      { class: 'chip', title: `${count} spans from ${name}` },
      h('span', { class: 'svc-dot', style: { background: serviceColor(name) } }),
      `${name} (${count})`,
    ),
  );
  return h(
    'article',
    {
      class: `result${options.fresh ? ' fresh' : ''}${trace.errors > 0 ? ' has-error' : ''}`,
      'data-trace-id': trace.traceId,
      // The whole card opens the trace; the checkbox and the title link keep their own clicks.
      onclick: (e: MouseEvent) => {
        if (!(e.target as Element).closest('a, input') && !getSelection()?.toString())
          navigate(traceHref(trace, options.fromFile));
      },
    },
    h(
      'div',
      { class: 'result-head' },
      h('input', {
        type: 'checkbox',
        class: 'compare-pick',
        title: 'Pick for comparison',
        'aria-label': `Pick ${shortId(trace.traceId)} for comparison`,
        checked: options.selected,
        onchange: (e: Event) => options.onSelect((e.target as HTMLInputElement).checked),
      }),
      h('a', { class: 'result-link', href: traceHref(trace, options.fromFile) }, traceTitle(trace)),
      h('code', { class: 'trace-id', title: trace.traceId }, shortId(trace.traceId)),
      options.fresh ? h('span', { class: 'badge new' }, 'new') : null,
      h('span', { class: 'result-duration' }, formatDuration(trace.durationUs)),
    ),
    h(
      'div',
      { class: 'durbar' },
      h('div', { style: { width: `${Math.max(0.5, (trace.durationUs / Math.max(1, maxDuration)) * 100)}%` } }),
    ),
    h(
      'div',
      { class: 'result-meta' },
      h('span', null, `${trace.spans.length} span${trace.spans.length === 1 ? '' : 's'}`),
      trace.errors > 0
        ? h('span', { class: 'badge error' }, `${trace.errors} error${trace.errors === 1 ? '' : 's'}`)
        : null,
      h('span', { class: 'chips' }, services),
      h(
        'span',
        { class: 'when', title: formatTime(trace.startUs) },
        `${formatTime(trace.startUs)} · ${formatAgo(trace.startUs)}`,
      ),
    ),
  );
}
