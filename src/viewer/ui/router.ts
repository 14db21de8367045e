/**
 * Client-side routes. The server answers every non-API path with index.html, so each of these works on reload:
 * `/search?…`, `/trace/<id>?span=<id>`, `/compare/<a>/<b>`, `/models`.
 *
 * @module
 */

/** A page: draws itself into `root`; returns what to do when the page is left (stop polling, …). */
export type Page = (root: HTMLElement, params: readonly string[], query: URLSearchParams) => (() => void) | void;

interface RouteEntry {
  readonly pattern: RegExp;
  readonly page: Page;
}

const routes: RouteEntry[] = [];
let leave: (() => void) | void = undefined;
let outlet: HTMLElement | undefined;
const listeners: ((path: string) => void)[] = [];

/** Declares a route: `pattern` matches the path; its groups are the page's params (URI-decoded). */
export function route(pattern: RegExp, page: Page): void {
  routes.push({ pattern, page });
}

/** Calls `listener` with the path after every navigation (the header marks the current section). */
export function onNavigate(listener: (path: string) => void): void {
  listeners.push(listener);
}

/** Goes to `href` (a path with query) without reloading; `replace` rewrites the current history entry. */
export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  render();
}

/** Draws the page of the current location. */
export function render(): void {
  if (!outlet) return;
  if (leave) leave();
  leave = undefined;
  const { pathname, search } = location;
  outlet.textContent = '';
  window.scrollTo(0, 0);
  for (const { pattern, page } of routes) {
    const m = pattern.exec(pathname);
    if (!m) continue;
    const params = m.slice(1).map((p) => (p === undefined ? '' : decodeURIComponent(p)));
    leave = page(outlet, params, new URLSearchParams(search));
    break;
  }
  for (const listener of listeners) listener(pathname);
}

/** Starts routing into `root`: same-origin links to page routes navigate in place. */
export function startRouter(root: HTMLElement): void {
  outlet = root;
  window.addEventListener('popstate', render);
  document.addEventListener('click', (event) => {
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    const anchor = (event.target as Element | null)?.closest('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/'))
      return;
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
  render();
}
