/**
 * The waterfall: one row per span on a time ruler, nested under its parent and collapsible, coloured by service,
 * errors in red, events as marks on the bar, the critical path drawn over the bars. A row opens its span's
 * details below it.
 *
 * @module
 */

import { h } from './dom.ts';
import { formatDuration, niceStep, serviceColor } from './format.ts';
import { criticalPath, type Span, type Trace } from './model.ts';

export interface WaterfallOptions {
  /** Draws a span's details (the trace page's panel); no details when absent. */
  readonly details?: (span: Span) => HTMLElement;
  /** A span to open and scroll to. */
  readonly focusSpanId?: string;
  /** Smaller rows, no details (the compare page). */
  readonly compact?: boolean;
}

export interface Waterfall {
  readonly element: HTMLElement;
  expandAll(): void;
  collapseAll(): void;
  /** Opens a span's details (expanding its ancestors) and scrolls to it. */
  focus(spanId: string): void;
}

const KIND_LABELS: Record<string, string> = { server: 'server', client: 'client', producer: 'producer', consumer: 'consumer', internal: 'internal' };

/** The ruler's ticks: round offsets from the trace start. */
function ruler(durationUs: number): HTMLElement {
  const step = niceStep(durationUs, 5);
  const ticks: HTMLElement[] = [];
  for (let t = 0; t <= durationUs + step * 1e-9; t += step) {
    const left = durationUs > 0 ? (t / durationUs) * 100 : 0;
    if (left > 100.001) break;
    ticks.push(h('span', { class: `tick${left > 92 ? ' tick-end' : ''}`, style: { left: `${left}%` } }, formatDuration(t)));
  }
  return h('div', { class: 'ruler' }, ticks);
}

/** The duration beside its bar: inside a wide bar, else after it, or before it when the bar ends near the right edge. */
function durationLabel(span: Span, traceStartUs: number, totalUs: number): HTMLElement {
  const startShare = (span.startUs - traceStartUs) / totalUs;
  const widthShare = span.durationUs / totalUs;
  const text = formatDuration(span.durationUs);
  if (widthShare > 0.14) {
    return h('span', { class: 'wf-dur inside', style: { right: `${(1 - startShare - widthShare) * 100}%` } }, text);
  }
  if (startShare + widthShare > 0.82) return h('span', { class: 'wf-dur before', style: { right: `${(1 - startShare) * 100}%` } }, text);
  return h('span', { class: 'wf-dur', style: { left: `${(startShare + widthShare) * 100}%` } }, text);
}

export function waterfall(trace: Trace, options: WaterfallOptions = {}): Waterfall {
  const collapsed = new Set<string>();
  const open = new Set<string>();
  const path = criticalPath(trace);
  const pathBySpan = new Map<string, { startUs: number; endUs: number }[]>();
  for (const seg of path) {
    let list = pathBySpan.get(seg.spanId);
    if (!list) pathBySpan.set(seg.spanId, (list = []));
    list.push(seg);
  }
  const total = Math.max(1, trace.durationUs);
  const pct = (us: number): string => `${((us - trace.startUs) / total) * 100}%`;
  const width = (us: number): string => `${(Math.max(0, us) / total) * 100}%`;

  const byId = new Map(trace.spans.map((span) => [span.spanId, span]));
  const parentService = (span: Span): string | undefined => byId.get(span.parentId)?.service;
  const rows = new Map<string, HTMLElement>();
  const detailRows = new Map<string, HTMLElement>();
  const body = h('div', { class: 'wf-body', role: 'tree' });

  const hiddenByCollapse = (span: Span): boolean => {
    for (let p = byId.get(span.parentId); p; p = byId.get(p.parentId)) {
      if (collapsed.has(p.spanId)) return true;
    }
    return false;
  };
  const descendantCount = (span: Span): number => span.children.reduce((n, c) => n + 1 + descendantCount(c), 0);

  const refresh = (): void => {
    for (const span of trace.spans) {
      const row = rows.get(span.spanId)!;
      const hidden = hiddenByCollapse(span);
      row.hidden = hidden;
      row.classList.toggle('collapsed', collapsed.has(span.spanId));
      row.setAttribute('aria-expanded', String(!collapsed.has(span.spanId)));
      const toggle = row.querySelector<HTMLButtonElement>('.wf-toggle');
      if (toggle) toggle.title = collapsed.has(span.spanId) ? `Expand (${descendantCount(span)} hidden)` : 'Collapse';
      const detail = detailRows.get(span.spanId);
      if (detail) detail.hidden = hidden || !open.has(span.spanId);
      row.classList.toggle('open', open.has(span.spanId));
    }
  };

  const toggleDetails = (span: Span): void => {
    if (!options.details) return;
    if (open.has(span.spanId)) open.delete(span.spanId);
    else {
      open.add(span.spanId);
      if (!detailRows.has(span.spanId)) {
        const detail = h('div', { class: 'wf-detail', 'data-span-id': span.spanId }, options.details(span));
        rows.get(span.spanId)!.after(detail);
        detailRows.set(span.spanId, detail);
      }
    }
    refresh();
  };

  for (const span of trace.spans) {
    const color = span.status === 'ERROR' ? '#e03131' : serviceColor(span.service);
    const toggle =
      span.children.length > 0
        ? h(
            'button',
            {
              class: 'wf-toggle',
              type: 'button',
              'aria-label': `Collapse or expand ${span.name}`,
              onclick: (e: Event) => {
                e.stopPropagation();
                if (collapsed.has(span.spanId)) collapsed.delete(span.spanId);
                else collapsed.add(span.spanId);
                refresh();
              },
            },
            h('span', { class: 'chevron' }),
          )
        : h('span', { class: 'wf-toggle-space' });
    const marks = span.events.map((event) =>
      h('span', {
        class: 'wf-event',
        style: { left: `${span.durationUs > 0 ? ((event.timeUs - span.startUs) / span.durationUs) * 100 : 0}%` },
        title: `${event.name} at +${formatDuration(event.timeUs - trace.startUs)}`,
        'data-event': event.name,
      }),
    );
    const critical = (pathBySpan.get(span.spanId) ?? []).map((seg) =>
      h('span', {
        class: 'wf-critical',
        style: { left: `${span.durationUs > 0 ? ((seg.startUs - span.startUs) / span.durationUs) * 100 : 0}%`, width: `${span.durationUs > 0 ? ((seg.endUs - seg.startUs) / span.durationUs) * 100 : 100}%` },
      }),
    );
    const row = h(
      'div',
      {
        class: `wf-row${span.status === 'ERROR' ? ' error' : ''}${pathBySpan.has(span.spanId) ? ' on-path' : ''}`,
        role: 'treeitem',
        'aria-level': span.depth + 1,
        'data-span-id': span.spanId,
        'data-operation': span.name,
        tabindex: 0,
        onclick: () => toggleDetails(span),
        onkeydown: (e: KeyboardEvent) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            toggleDetails(span);
          }
        },
      },
      h(
        'div',
        { class: 'wf-name', style: { paddingLeft: `${span.depth * 16 + 4}px` } },
        toggle,
        h('span', { class: 'svc-bar', style: { background: serviceColor(span.service) } }),
        h(
          'span',
          { class: 'wf-label', title: `${span.service}: ${span.name}` },
          // The service is written where it changes (roots, calls into another service); the colour bar marks it always.
          span.service !== parentService(span) ? h('span', { class: 'svc-name' }, span.service) : null,
          h('span', { class: 'op-name' }, span.name),
        ),
        span.kind ? h('span', { class: `kind kind-${span.kind}` }, KIND_LABELS[span.kind]) : null,
        span.status === 'ERROR' ? h('span', { class: 'err-icon', title: span.statusMessage || 'error' }, '!') : null,
        span.orphan ? h('span', { class: 'kind orphan', title: `parent ${span.parentId} is not in this trace` }, 'parent missing') : null,
      ),
      h(
        'div',
        { class: 'wf-track' },
        h(
          'div',
          { class: 'wf-bar', style: { left: pct(span.startUs), width: width(span.durationUs), background: color } },
          critical,
          marks,
        ),
        durationLabel(span, trace.startUs, total),
      ),
    );
    rows.set(span.spanId, row);
    body.append(row);
  }

  const element = h(
    'div',
    { class: `waterfall${options.compact ? ' compact' : ''}` },
    h('div', { class: 'wf-head' }, h('div', { class: 'wf-name wf-head-name' }, 'Service & operation'), h('div', { class: 'wf-track' }, ruler(trace.durationUs))),
    h('div', { class: 'wf-grid' }, body),
  );
  refresh();

  const api: Waterfall = {
    element,
    expandAll() {
      collapsed.clear();
      refresh();
    },
    collapseAll() {
      for (const span of trace.spans) if (span.children.length > 0) collapsed.add(span.spanId);
      refresh();
    },
    focus(spanId: string) {
      const span = byId.get(spanId);
      if (!span) return;
      for (let p = byId.get(span.parentId); p; p = byId.get(p.parentId)) collapsed.delete(p.spanId);
      if (!open.has(spanId)) toggleDetails(span);
      else refresh();
      const row = rows.get(spanId)!;
      row.classList.add('focused');
      requestAnimationFrame(() => row.scrollIntoView({ block: 'center' }));
    },
  };
  if (options.focusSpanId) api.focus(options.focusSpanId);
  return api;
}
