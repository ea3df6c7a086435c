// Elements are built here and only here; every string goes in as a text node, so whatever a
// token's name, a user agent or a message holds is shown, never interpreted.

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | boolean | undefined>;

/** An element with attributes (false/undefined: left out; true: present) and text or children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) {
      element.setAttribute(name, '');
    } else if (typeof value === 'string') {
      element.setAttribute(name, value);
    }
  }
  element.append(
    ...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false),
  );
  return element;
}

/** The element with this id; the page's HTML is fixed, so a missing one is a bug of the page. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) {
    throw new Error(`The page has no #${id}.`);
  }
  return element as T;
}

/** Replaces an element's content with `children` (text or nodes). */
export function fill(element: HTMLElement, ...children: Child[]): void {
  element.replaceChildren(
    ...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false),
  );
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `YYYY-MM-DD` of an instant in the browser's time zone (what a date input holds). */
export function localDate(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The end of a `YYYY-MM-DD` day in the browser's time zone, as an ISO instant. */
export function endOfLocalDay(date: string): string {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(year ?? 0, (month ?? 1) - 1, day ?? 1, 23, 59, 59, 999).toISOString();
}

/** A `<time>` showing the instant in local time (`YYYY-MM-DD HH:MM`), the ISO value in its title. */
export function time(iso: string | null, none: string): Node {
  if (iso === null) {
    return document.createTextNode(none);
  }
  const d = new Date(iso);
  const shown = `${localDate(iso)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return h('time', { datetime: iso, title: iso }, shown);
}
