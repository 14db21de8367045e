/**
 * The models page at `/models`: for each model (and version) served by a Triton-shaped server, the latency
 * breakdown over the most recent traces (p50/p90/p99 of each phase, phases.ts's split) and the batch sizes its
 * executions ran with. Refreshes while open.
 *
 * @module
 */

import { PHASE_LABELS, PHASES } from '../phases.ts';
import * as api from './api.ts';
import { h, replaceChildren, s } from './dom.ts';
import { formatDuration } from './format.ts';
import { navigate } from './router.ts';
import { PHASE_COLORS } from './phases-view.ts';

const REFRESH_MS = 5000;
const LIMITS = [100, 1000, 10000] as const;

export function modelsPage(root: HTMLElement, _params: readonly string[], query: URLSearchParams): () => void {
  const limit = LIMITS.find((l) => String(l) === query.get('limit')) ?? 1000;
  const summary = h('p', { class: 'muted' }, 'Loading…');
  const list = h('div', { class: 'models', 'data-testid': 'models' });
  const service = query.get('service') ?? '';
  // The choices live in the URL, so the page reloads as it was.
  const choose = (): void => {
    const q = new URLSearchParams({ limit: limitSelect.value });
    if (serviceSelect.value) q.set('service', serviceSelect.value);
    navigate(`/models?${q}`, true);
  };
  const limitSelect = h(
    'select',
    { 'aria-label': 'Traces read', onchange: choose },
    LIMITS.map((l) =>
      h('option', { value: String(l), selected: l === limit }, `last ${l.toLocaleString('en-US')} traces`),
    ),
  );
  const serviceSelect = h(
    'select',
    { 'aria-label': 'Service', onchange: choose },
    h('option', { value: '' }, 'all services'),
  );
  void api.services().then(
    (names) => {
      for (const name of names.sort())
        serviceSelect.append(h('option', { value: name, selected: name === service }, name));
      serviceSelect.value = service;
    },
    () => undefined,
  );
  root.append(
    h(
      'section',
      { class: 'card models-head' },
      h(
        'div',
        { class: 'trace-header-top' },
        h('h1', null, 'Models'),
        h('div', { class: 'trace-actions' }, serviceSelect, limitSelect),
      ),
      h(
        'p',
        null,
        'Where each model’s requests spend their time — receive, queue, compute input, infer, compute output, send — read from the span events of recent Triton-shaped traces, and how many requests ran together in one execution.',
      ),
      summary,
    ),
    list,
  );
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const load = async (): Promise<void> => {
    try {
      const result = await api.models(limit, service);
      if (stopped) return;
      const requests = result.models.reduce((n, m) => n + m.requests, 0);
      summary.textContent = `${result.models.length} model${result.models.length === 1 ? '' : 's'} · ${requests.toLocaleString('en-US')} requests in the last ${result.traces.toLocaleString('en-US')} traces · updated ${new Date().toLocaleTimeString([], { hour12: false })}`;
      replaceChildren(
        list,
        result.models.length === 0
          ? h(
              'div',
              { class: 'card empty' },
              h('h2', null, 'No model requests yet'),
              h(
                'p',
                null,
                'Models appear here once a Triton-shaped server (ts-triton, Triton) sends traces of inference requests: InferRequest spans with the model’s span and its compute events.',
              ),
            )
          : result.models.map(modelCard),
      );
    } catch (error) {
      if (!stopped) summary.textContent = `Could not load the models: ${(error as Error).message}`;
    }
    if (!stopped) timer = setTimeout(() => void load(), REFRESH_MS);
  };
  void load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function modelCard(m: api.ModelBreakdown): HTMLElement {
  const rows = PHASES.filter((name) => m.phases[name]).map((name) => ({
    name,
    label: PHASE_LABELS[name],
    color: PHASE_COLORS[name],
    p: m.phases[name]!,
  }));
  const scale = Math.max(1, ...rows.map((r) => r.p.p99));
  const p50Total = rows.reduce((sum, r) => sum + r.p.p50, 0);
  const numbers = (p: api.Percentiles): HTMLElement[] => [
    h('td', null, formatDuration(p.p50)),
    h('td', null, formatDuration(p.p90)),
    h('td', null, formatDuration(p.p99)),
  ];
  return h(
    'section',
    { class: 'card model-card', 'data-model': m.model },
    h(
      'h2',
      null,
      m.model,
      h(
        'span',
        { class: 'muted' },
        `version ${m.version} · ${m.requests.toLocaleString('en-US')} requests · p50 ${formatDuration(m.total.p50)} · p99 ${formatDuration(m.total.p99)}`,
      ),
    ),
    h(
      'div',
      { class: 'model-grid' },
      h(
        'div',
        null,
        h('p', { class: 'model-sub' }, 'A typical request (p50 of each phase)'),
        h(
          'div',
          { class: 'phase-bar' },
          rows.map((r) =>
            h(
              'div',
              {
                class: 'phase-seg',
                style: { width: `${(r.p.p50 / Math.max(1, p50Total)) * 100}%`, background: r.color },
                title: `${r.label}: p50 ${formatDuration(r.p.p50)}`,
              },
              r.p.p50 / Math.max(1, p50Total) > 0.1 ? r.label : '',
            ),
          ),
        ),
        h(
          'table',
          { class: 'model-table' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              h('th', null, 'Phase'),
              h('th', null, 'p50'),
              h('th', null, 'p90'),
              h('th', null, 'p99'),
              h('th', { class: 'range-col' }, 'p50 · p90 · p99'),
            ),
          ),
          h(
            'tbody',
            null,
            rows.map((r) =>
              h(
                'tr',
                { 'data-phase': r.name },
                h('td', null, h('span', { class: 'phase-swatch inline', style: { background: r.color } }), r.label),
                ...numbers(r.p),
                h(
                  'td',
                  { class: 'range-col' },
                  h(
                    'div',
                    { class: 'range' },
                    h('span', {
                      class: 'range-p99',
                      style: { width: `${(r.p.p99 / scale) * 100}%`, background: r.color },
                    }),
                    h('span', {
                      class: 'range-p90',
                      style: { width: `${(r.p.p90 / scale) * 100}%`, background: r.color },
                    }),
                    h('span', {
                      class: 'range-p50',
                      style: { width: `${(r.p.p50 / scale) * 100}%`, background: r.color },
                    }),
                  ),
                ),
              ),
            ),
            h(
              'tr',
              { class: 'total-row' },
              h('td', null, 'whole request'),
              ...numbers(m.total),
              h('td', { class: 'range-col' }),
            ),
          ),
        ),
      ),
      batchChart(m.batchSizes),
    ),
  );
}

/** Executions per batch size, as bars. */
function batchChart(sizes: api.ModelBreakdown['batchSizes']): HTMLElement {
  const title = h('p', { class: 'model-sub' }, 'Batch sizes (traced requests per execution)');
  if (sizes.length === 0) return h('div', { class: 'batch' }, title, h('p', { class: 'muted' }, 'No executions seen.'));
  const W = 300;
  const H = 150;
  const pad = { l: 8, r: 8, t: 16, b: 22 };
  const max = Math.max(...sizes.map((b) => b.executions));
  const slot = (W - pad.l - pad.r) / sizes.length;
  const bw = Math.min(36, slot * 0.7);
  const executions = sizes.reduce((n, b) => n + b.executions, 0);
  const mean = sizes.reduce((n, b) => n + b.size * b.executions, 0) / executions;
  return h(
    'div',
    { class: 'batch' },
    title,
    s(
      'svg',
      {
        class: 'batch-chart',
        width: W,
        height: H,
        viewBox: `0 0 ${W} ${H}`,
        role: 'img',
        'aria-label': 'Executions per batch size',
      },
      sizes.map((b, i) => {
        const x = pad.l + i * slot + (slot - bw) / 2;
        const bh = ((H - pad.t - pad.b) * b.executions) / max;
        const y = H - pad.b - bh;
        return s(
          'g',
          null,
          s(
            'rect',
            { class: 'bar', x, y, width: bw, height: Math.max(1, bh), rx: 3 },
            s('title', null, `${b.executions} executions of ${b.size} request${b.size === 1 ? '' : 's'}`),
          ),
          s('text', { class: 'value', x: x + bw / 2, y: y - 4, 'text-anchor': 'middle' }, String(b.executions)),
          s('text', { x: x + bw / 2, y: H - 6, 'text-anchor': 'middle' }, String(b.size)),
        );
      }),
    ),
    h(
      'p',
      { class: 'muted small' },
      `${executions.toLocaleString('en-US')} executions · mean batch ${mean.toFixed(2)}`,
    ),
  );
}
