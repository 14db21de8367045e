/**
 * The trace viewer's page: the header (sections, trace id lookup, opening a file, store counters) and the routes.
 *
 * @module
 */

import './app.css';
import * as api from './api.ts';
import { comparePage } from './compare-page.ts';
import { h, replaceChildren } from './dom.ts';
import { openFile } from './local-traces.ts';
import { modelsPage } from './models-page.ts';
import { navigate, onNavigate, route, startRouter } from './router.ts';
import { searchPage } from './search-page.ts';
import { tracePage } from './trace-page.ts';

route(/^\/(?:search)?\/?$/, searchPage);
route(/^\/trace\/([^/]+)\/?$/, tracePage);
route(/^\/compare(?:\/([^/]*))?(?:\/([^/]*))?\/?$/, comparePage);
route(/^\/models\/?$/, modelsPage);
route(/^.*$/, (root) => {
  root.append(
    h(
      'div',
      { class: 'card empty' },
      h('h2', null, 'No such page'),
      h('p', null, h('a', { href: '/search' }, 'Go to search')),
    ),
  );
});

function header(): HTMLElement {
  const lookup = h('input', {
    type: 'search',
    placeholder: 'Go to trace id…',
    'aria-label': 'Trace id',
    spellcheck: false,
  });
  const file = h('input', {
    type: 'file',
    accept: '.json,.jsonl,application/json',
    hidden: true,
    'aria-label': 'Open a trace file',
  });
  const notice = h('span', { class: 'header-notice', role: 'alert' });
  const open = async (chosen: File | undefined): Promise<void> => {
    if (!chosen) return;
    notice.textContent = '';
    try {
      const traces = await openFile(chosen);
      navigate(traces.length === 1 ? `/trace/${traces[0]!.traceId}?file=1` : '/search?file=1');
    } catch (error) {
      notice.textContent = (error as Error).message;
    }
  };
  file.onchange = () => {
    const chosen = file.files?.[0];
    file.value = '';
    void open(chosen);
  };
  // A trace file dropped anywhere on the page opens too.
  document.addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
  });
  document.addEventListener('drop', (e) => {
    if (!e.dataTransfer?.files.length) return;
    e.preventDefault();
    void open(e.dataTransfer.files[0]);
  });
  const stats = h('span', { class: 'store-stats', title: 'Stored in this viewer' });
  const refreshStats = async (): Promise<void> => {
    try {
      const s = await api.storeStats();
      stats.textContent = `${s.traces.toLocaleString('en-US')} traces · ${s.spans.toLocaleString('en-US')} spans${s.evictedTraces > 0 ? ` · ${s.evictedTraces.toLocaleString('en-US')} evicted` : ''}`;
    } catch {
      stats.textContent = '';
    }
  };
  // Asked on every page change and every few seconds.
  setInterval(() => void refreshStats(), 5000);
  const nav = h(
    'nav',
    { class: 'sections' },
    h('a', { href: '/search', 'data-section': 'search' }, 'Search'),
    h('a', { href: '/models', 'data-section': 'models' }, 'Models'),
    h('a', { href: '/compare', 'data-section': 'compare' }, 'Compare'),
  );
  onNavigate((path) => {
    void refreshStats();
    const section = path === '/' ? 'search' : path.split('/')[1];
    for (const a of nav.querySelectorAll<HTMLAnchorElement>('a'))
      a.classList.toggle('active', a.dataset['section'] === section);
    if (!path.startsWith('/trace/')) document.title = 'ts-triton traces';
  });
  return h(
    'header',
    { class: 'top' },
    h(
      'a',
      { class: 'brand', href: '/search' },
      h('span', { class: 'logo', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')),
      'ts-triton',
      h('span', { class: 'brand-sub' }, 'traces'),
    ),
    nav,
    h(
      'form',
      {
        class: 'lookup',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const id = lookup.value.trim();
          if (id) navigate(`/trace/${id}`);
          lookup.value = '';
        },
      },
      lookup,
    ),
    h(
      'button',
      {
        class: 'btn ghost',
        type: 'button',
        title: 'Open a trace file (OTLP JSON or Jaeger JSON); dropping one on the page works too',
        onclick: () => file.click(),
      },
      'Open file…',
    ),
    file,
    notice,
    stats,
  );
}

const main = h('main', { id: 'view' });
replaceChildren(document.body, header(), main);
startRouter(main);
