/**
 * The only way the page puts text on screen. Names, organisations, agent names and targets come from
 * outside (reverse DNS, ASN databases, volunteers), so text always goes in as text nodes, never as markup:
 * `<img src=x onerror=alert(1)>` shows as those characters.
 */

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  className?: string;
  title?: string;
  /** data-* attributes (values are set as attribute text). */
  data?: Record<string, string>;
  /** Other attributes, set with setAttribute (text, never markup). */
  attrs?: Record<string, string>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props?.className) el.className = props.className;
  if (props?.title) el.title = props.title;
  for (const [k, v] of Object.entries(props?.data ?? {})) el.dataset[k] = v;
  for (const [k, v] of Object.entries(props?.attrs ?? {})) el.setAttribute(k, v);
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(
      typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c,
    );
  }
}

/** Empties an element and fills it again. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** For the few Leaflet APIs that only take HTML strings (the attribution control): text made inert. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
