/**
 * A few DOM helpers: elements from a tag, properties and children; SVG elements likewise.
 *
 * @module
 */

type Child = Node | string | number | null | undefined | false | readonly Child[];
type Props = Record<string, unknown>;

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function setProps(el: Element, props: Props | undefined, svg: boolean): void {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    } else if (key === 'class') el.setAttribute('class', String(value));
    else if (key === 'style' && typeof value === 'object') Object.assign((el as HTMLElement).style, value);
    else if (!svg && !key.includes('-') && key !== 'list' && key in el)
      (el as unknown as Record<string, unknown>)[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/** An HTML element. Props starting with `on` are listeners; others are properties, or attributes when not one. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setProps(el, props ?? undefined, false);
  append(el, children);
  return el;
}

/** An SVG element (props are attributes). */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setProps(el, props ?? undefined, true);
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function replaceChildren(el: Element, ...children: Child[]): void {
  el.textContent = '';
  append(el, children);
}
