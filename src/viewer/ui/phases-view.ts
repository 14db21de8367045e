/**
 * The inference view of a Triton-shaped trace: each request's time split into receive / queue / compute input /
 * infer / compute output / send (../phases.ts reads them from the span events), as a stacked bar with a legend.
 *
 * @module
 */

import { PHASE_LABELS, PHASES, type PhaseName, type RequestPhases, requestPhases } from '../phases.ts';
import { h } from './dom.ts';
import { formatDuration } from './format.ts';
import { phaseSpans, type Trace } from './model.ts';

/** Each phase's colour, shared with the models page. */
export const PHASE_COLORS: Readonly<Record<PhaseName | 'other', string>> = {
  receive: '#4dabf7',
  queue: '#fab005',
  computeInput: '#9775fa',
  infer: '#12b886',
  computeOutput: '#da77f2',
  send: '#ff8787',
  other: '#ced4da',
};

/**
 * A stacked bar of one request's phases (and the time between them), widths proportional to durations.
 * @param scale - the bar's width as a share of the space given (for bars on a common scale), so that only the
 *   segments wide enough on screen are labelled.
 */
export function phaseBar(request: RequestPhases, scale = 1): HTMLElement {
  const total = Math.max(1, request.totalNs);
  const parts: [PhaseName | 'other', number][] = [
    ...request.phases.map((p): [PhaseName, number] => [p.name, p.durationNs]),
    ['other', request.otherNs],
  ];
  return h(
    'div',
    {
      class: 'phase-bar',
      role: 'img',
      'aria-label': parts.map(([n, ns]) => `${n} ${formatDuration(ns / 1000)}`).join(', '),
    },
    parts
      .filter(([, ns]) => ns > 0)
      .map(([name, ns]) => {
        const share = ns / total;
        const label = name === 'other' ? 'other' : PHASE_LABELS[name];
        return h(
          'div',
          {
            class: 'phase-seg',
            'data-phase': name,
            style: { width: `${share * 100}%`, background: PHASE_COLORS[name] },
            title: `${label}: ${formatDuration(ns / 1000)} (${(share * 100).toFixed(1)}%)`,
          },
          share * scale > 0.09 ? label : '',
        );
      }),
  );
}

function legend(request: RequestPhases): HTMLElement {
  const total = Math.max(1, request.totalNs);
  const byName = new Map(request.phases.map((p) => [p.name, p.durationNs]));
  const key = (name: PhaseName | 'other', label: string, ns: number | undefined): HTMLElement =>
    h(
      'span',
      { class: 'phase-key', 'data-phase': name },
      h('span', { class: 'phase-swatch', style: { background: PHASE_COLORS[name] } }),
      label,
      h('b', null, ns === undefined ? '—' : formatDuration(ns / 1000)),
      ns === undefined ? null : h('span', { class: 'muted' }, `${((ns / total) * 100).toFixed(1)}%`),
    );
  return h(
    'div',
    { class: 'phase-legend' },
    PHASES.map((name) => key(name, PHASE_LABELS[name], byName.get(name))),
    key('other', 'other', request.otherNs),
  );
}

/** The trace page's inference section, or undefined when the trace has no Triton request. */
export function phaseSection(trace: Trace): HTMLElement | undefined {
  const requests = requestPhases(phaseSpans(trace));
  if (requests.length === 0) return undefined;
  return h(
    'section',
    { class: 'card phase-card', 'data-testid': 'phases' },
    h(
      'h2',
      null,
      'Inference time',
      h('span', { class: 'muted' }, 'where each request to the model server went, from its span events'),
    ),
    requests.map((r) =>
      h(
        'div',
        { class: 'phase-request' },
        h(
          'p',
          { class: 'phase-title' },
          h('b', null, r.model),
          r.version >= 0 ? ` v${r.version}` : '',
          ` · ${r.protocol} · ${formatDuration(r.totalNs / 1000)} in the server`,
        ),
        phaseBar(r),
        legend(r),
      ),
    ),
  );
}
