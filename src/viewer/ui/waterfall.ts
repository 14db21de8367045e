/**
 * The waterfall: one row per span on a time ruler, nested under its parent and collapsible, coloured by service,
 * errors in red, events as marks on the bar, the critical path drawn over the bars. A row opens its span's
 * details below it. Dragging across the ruler (or "zoom to span" in the details) narrows the time shown.
 *
 * @module
 */

import { h } from './dom.ts';
import { formatDuration, niceStep, serviceColor } from './format.ts';
import { criticalPath, type PathSegment, type Span, type Trace } from './model.ts';

export interface WaterfallOptions {
  /** Draws a span's details (the trace page's panel); no details when absent. */
  readonly details?: (span: Span, waterfall: Waterfall) => HTMLElement;
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
  /** Shows only `[startUs, endUs]` on the ruler; `undefined` shows the whole trace again. */
  zoom(window?: TimeWindow): void;
  /**
   * Marks the spans whose service, operation, id, attributes or events contain `text` (case-insensitive), and
   * expands their ancestors; '' clears the marks. Returns how many spans match.
   */
  find(text: string): number;
}

interface TimeWindow {
  readonly startUs: number;
  readonly endUs: number;
}

/** A row's parts that zooming moves. */
interface Row {
  readonly span: Span;
  readonly element: HTMLElement;
  readonly bar: HTMLElement;
  readonly label: HTMLElement;
  readonly toggle: HTMLButtonElement | undefined;
}

/** Whether a span mentions `needle` (lower case) in its service, name, id, attributes or events. */
function mentions(span: Span, needle: string): boolean {
  const has = (text: string): boolean => text.toLowerCase().includes(needle);
  const kvs = (list: Span['attributes']): boolean => list.some((kv) => has(kv.key) || has(String(kv.value)));
  return (
    has(span.service) ||
    has(span.name) ||
    has(span.spanId) ||
    kvs(span.attributes) ||
    span.events.some((e) => has(e.name) || kvs(e.attributes))
  );
}

/**
 * One span's row: the name column (toggle, service colour, service where it changes, operation, kind, error,
 * missing parent) and the track with its bar. Event marks and critical stretches are placed within the bar, so
 * zooming only moves and resizes the bar.
 */
function spanRow(
  span: Span,
  parent: Span | undefined,
  trace: Trace,
  path: readonly PathSegment[],
  onToggle: (() => void) | undefined,
  onOpen: () => void,
): Row {
  const toggle = onToggle
    ? h(
        'button',
        {
          class: 'wf-toggle',
          type: 'button',
          'aria-label': `Collapse or expand ${span.name}`,
          onclick: (e: Event) => {
            e.stopPropagation();
            onToggle();
          },
        },
        h('span', { class: 'chevron' }),
      )
    : undefined;
  const within = (us: number): string => `${span.durationUs > 0 ? ((us - span.startUs) / span.durationUs) * 100 : 0}%`;
  const marks = span.events.map((event) =>
    h('span', {
      class: 'wf-event',
      style: { left: within(event.timeUs) },
      title: `${event.name} at +${formatDuration(event.timeUs - trace.startUs)}`,
      'data-event': event.name,
    }),
  );
  const critical = path.map((seg) =>
    h('span', {
      class: 'wf-critical',
      style: {
        left: within(seg.startUs),
        width: span.durationUs > 0 ? `${((seg.endUs - seg.startUs) / span.durationUs) * 100}%` : '100%',
      },
    }),
  );
  const bar = h(
    'div',
    { class: 'wf-bar', style: { background: span.status === 'ERROR' ? '#e03131' : serviceColor(span.service) } },
    critical,
    marks,
  );
  const label = h('span', { class: 'wf-dur' }, formatDuration(span.durationUs));
  const element = h(
    'div',
    {
      class: `wf-row${span.status === 'ERROR' ? ' error' : ''}${path.length > 0 ? ' on-path' : ''}`,
      role: 'treeitem',
      'aria-level': span.depth + 1,
      'data-span-id': span.spanId,
      'data-operation': span.name,
      tabindex: 0,
      onclick: onOpen,
    },
    h(
      'div',
      { class: 'wf-name', style: { paddingLeft: `${span.depth * 16 + 4}px` } },
      toggle ?? h('span', { class: 'wf-toggle-space' }),
      h('span', { class: 'svc-bar', style: { background: serviceColor(span.service) } }),
      h(
        'span',
        { class: 'wf-label', title: `${span.service}: ${span.name}` },
        // The service is written where it changes (roots, calls into another service); the colour bar marks it always.
        span.service !== parent?.service ? h('span', { class: 'svc-name' }, span.service) : null,
        h('span', { class: 'op-name' }, span.name),
      ),
      span.kind ? h('span', { class: `kind kind-${span.kind}` }, span.kind) : null,
      span.status === 'ERROR' ? h('span', { class: 'err-icon', title: span.statusMessage || 'error' }, '!') : null,
      span.orphan
        ? h('span', { class: 'kind orphan', title: `parent ${span.parentId} is not in this trace` }, 'parent missing')
        : null,
    ),
    h('div', { class: 'wf-track' }, bar, label),
  );
  return { span, element, bar, label, toggle };
}

/** Positions a row's bar and duration for the time shown: the duration inside a wide bar, else beside it. */
function placeRow(row: Row, view: TimeWindow): void {
  const viewUs = view.endUs - view.startUs;
  const start = (row.span.startUs - view.startUs) / viewUs;
  const width = row.span.durationUs / viewUs;
  row.bar.style.left = `${start * 100}%`;
  row.bar.style.width = `${width * 100}%`;
  const { label } = row;
  label.hidden = start + width < 0 || start > 1;
  label.className = 'wf-dur';
  label.style.left = label.style.right = '';
  const shownStart = Math.max(0, start);
  const shownEnd = Math.min(1, start + width);
  if (shownEnd - shownStart > 0.14) {
    label.classList.add('inside');
    label.style.right = `${(1 - shownEnd) * 100}%`;
  } else if (shownEnd > 0.82) {
    label.classList.add('before');
    label.style.right = `${(1 - shownStart) * 100}%`;
  } else label.style.left = `${shownEnd * 100}%`;
}

/** The ruler's ticks for the time shown: round offsets from the trace's start. */
function rulerTicks(trace: Trace, view: TimeWindow): HTMLElement[] {
  const viewUs = view.endUs - view.startUs;
  const step = niceStep(viewUs, 5);
  const first = Math.ceil((view.startUs - trace.startUs) / step - 1e-9) * step;
  const ticks: HTMLElement[] = [];
  for (let offset = first; offset <= view.endUs - trace.startUs + 1e-6; offset += step) {
    const left = ((trace.startUs + offset - view.startUs) / viewUs) * 100;
    ticks.push(
      h('span', { class: `tick${left < 4 ? ' tick-start' : ''}`, style: { left: `${left}%` } }, formatDuration(offset)),
    );
  }
  return ticks;
}

/** Lets a drag across `track` choose a share of it: `[from, to]` in 0–1, drawn in `selection` meanwhile. */
function dragToSelect(track: HTMLElement, selection: HTMLElement, chosen: (from: number, to: number) => void): void {
  track.addEventListener('pointerdown', (down: PointerEvent) => {
    const box = track.getBoundingClientRect();
    const at = (x: number): number => Math.min(1, Math.max(0, (x - box.left) / box.width));
    const from = at(down.clientX);
    let to = from;
    track.setPointerCapture(down.pointerId);
    const move = (e: PointerEvent): void => {
      to = at(e.clientX);
      selection.hidden = false;
      selection.style.left = `${Math.min(from, to) * 100}%`;
      selection.style.width = `${Math.abs(to - from) * 100}%`;
    };
    const up = (): void => {
      track.removeEventListener('pointermove', move);
      selection.hidden = true;
      if (Math.abs(to - from) * box.width >= 4) chosen(Math.min(from, to), Math.max(from, to));
    };
    track.addEventListener('pointermove', move);
    track.addEventListener('pointerup', up, { once: true });
  });
}

export function waterfall(trace: Trace, options: WaterfallOptions = {}): Waterfall {
  const collapsed = new Set<string>();
  const open = new Set<string>();
  const pathBySpan = new Map<string, PathSegment[]>();
  for (const seg of criticalPath(trace)) {
    let list = pathBySpan.get(seg.spanId);
    if (!list) pathBySpan.set(seg.spanId, (list = []));
    list.push(seg);
  }
  const byId = new Map(trace.spans.map((span) => [span.spanId, span]));
  const rows = new Map<string, Row>();
  const detailRows = new Map<string, HTMLElement>();
  let view: TimeWindow = { startUs: trace.startUs, endUs: Math.max(trace.endUs, trace.startUs + 1) };

  const ancestors = (span: Span): Span[] => {
    const list: Span[] = [];
    for (let p = byId.get(span.parentId); p; p = byId.get(p.parentId)) list.push(p);
    return list;
  };
  const descendantCount = (span: Span): number => span.children.reduce((n, c) => n + 1 + descendantCount(c), 0);

  /** Shows and hides rows and details after a fold, an unfold or a details toggle. */
  const refresh = (): void => {
    for (const { span, element, toggle } of rows.values()) {
      const hidden = ancestors(span).some((p) => collapsed.has(p.spanId));
      const folded = collapsed.has(span.spanId);
      element.hidden = hidden;
      element.classList.toggle('collapsed', folded);
      element.classList.toggle('open', open.has(span.spanId));
      if (toggle) {
        element.setAttribute('aria-expanded', String(!folded));
        toggle.title = folded ? `Expand (${descendantCount(span)} hidden)` : 'Collapse';
      }
      const detail = detailRows.get(span.spanId);
      if (detail) detail.hidden = hidden || !open.has(span.spanId);
    }
  };

  const toggleDetails = (span: Span): void => {
    if (!options.details) return;
    if (open.has(span.spanId)) open.delete(span.spanId);
    else {
      open.add(span.spanId);
      if (!detailRows.has(span.spanId)) {
        const detail = h('div', { class: 'wf-detail', 'data-span-id': span.spanId }, options.details(span, api));
        rows.get(span.spanId)!.element.after(detail);
        detailRows.set(span.spanId, detail);
      }
    }
    refresh();
  };

  const body = h('div', { class: 'wf-body', role: 'tree', 'aria-label': 'Spans' });
  // Keys, as in a tree view: Enter or Space opens the details, up and down move between the rows shown, right
  // unfolds (or goes to the first child), left folds (or goes to the parent).
  body.addEventListener('keydown', (e: KeyboardEvent) => {
    const element = (e.target as Element).closest<HTMLElement>('.wf-row');
    const row = element && rows.get(element.dataset['spanId']!);
    if (!row || (e.target as Element).closest('.wf-detail')) return;
    const { span } = row;
    const shown = [...rows.values()].filter((r) => !r.element.hidden);
    const at = shown.indexOf(row);
    const go = (target: Row | undefined): void => target?.element.focus();
    if (e.key === 'Enter' || e.key === ' ') toggleDetails(span);
    else if (e.key === 'ArrowDown') go(shown[at + 1]);
    else if (e.key === 'ArrowUp') go(shown[at - 1]);
    else if (e.key === 'ArrowRight' && span.children.length > 0) {
      if (collapsed.delete(span.spanId)) refresh();
      else go(rows.get(span.children[0]!.spanId));
    } else if (e.key === 'ArrowLeft') {
      if (span.children.length > 0 && !collapsed.has(span.spanId)) {
        collapsed.add(span.spanId);
        refresh();
      } else go(rows.get(span.parentId));
    } else return;
    e.preventDefault();
  });
  for (const span of trace.spans) {
    const fold =
      span.children.length > 0
        ? () => {
            if (collapsed.has(span.spanId)) collapsed.delete(span.spanId);
            else collapsed.add(span.spanId);
            refresh();
          }
        : undefined;
    const row = spanRow(span, byId.get(span.parentId), trace, pathBySpan.get(span.spanId) ?? [], fold, () =>
      toggleDetails(span),
    );
    rows.set(span.spanId, row);
    body.append(row.element);
  }

  const ruler = h('div', { class: 'ruler' });
  const selection = h('div', { class: 'ruler-selection', hidden: true });
  const zoomNote = h('div', { class: 'zoom-note', hidden: true });
  const place = (): void => {
    for (const row of rows.values()) placeRow(row, view);
    ruler.replaceChildren(...rulerTicks(trace, view), selection);
    const zoomed = view.startUs > trace.startUs || view.endUs < trace.endUs;
    zoomNote.hidden = !zoomed;
    if (zoomed) {
      zoomNote.replaceChildren(
        `Showing +${formatDuration(view.startUs - trace.startUs)} to +${formatDuration(view.endUs - trace.startUs)} of ${formatDuration(trace.durationUs)}`,
        h('button', { class: 'btn small', type: 'button', onclick: () => api.zoom() }, 'Show whole trace'),
      );
    }
  };
  const headTrack = h('div', { class: 'wf-track wf-ruler-track', title: 'Drag to zoom into a time range' }, ruler);
  dragToSelect(headTrack, selection, (from, to) => {
    const viewUs = view.endUs - view.startUs;
    api.zoom({ startUs: view.startUs + from * viewUs, endUs: view.startUs + to * viewUs });
  });

  const api: Waterfall = {
    element: h(
      'div',
      { class: `waterfall${options.compact ? ' compact' : ''}` },
      zoomNote,
      h('div', { class: 'wf-head' }, h('div', { class: 'wf-name wf-head-name' }, 'Service & operation'), headTrack),
      h('div', { class: 'wf-grid' }, body),
    ),
    expandAll() {
      collapsed.clear();
      refresh();
    },
    collapseAll() {
      for (const span of trace.spans) if (span.children.length > 0) collapsed.add(span.spanId);
      refresh();
    },
    focus(spanId) {
      const span = byId.get(spanId);
      if (!span) return;
      for (const p of ancestors(span)) collapsed.delete(p.spanId);
      if (!open.has(spanId)) toggleDetails(span);
      else refresh();
      for (const row of rows.values()) row.element.classList.toggle('focused', row.span === span);
      const { element } = rows.get(spanId)!;
      requestAnimationFrame(() => element.scrollIntoView({ block: 'center' }));
    },
    zoom(window) {
      const startUs = window?.startUs ?? trace.startUs;
      view = { startUs, endUs: Math.max(window?.endUs ?? trace.endUs, startUs + 1) };
      place();
    },
    find(text) {
      const needle = text.trim().toLowerCase();
      let count = 0;
      for (const { span, element } of rows.values()) {
        const match = needle !== '' && mentions(span, needle);
        element.classList.toggle('match', match);
        if (!match) continue;
        count++;
        for (const p of ancestors(span)) collapsed.delete(p.spanId);
      }
      body.classList.toggle('finding', needle !== '');
      refresh();
      return count;
    },
  };
  place();
  refresh();
  if (options.focusSpanId) api.focus(options.focusSpanId);
  return api;
}
