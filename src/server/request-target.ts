/** A request target in absolute form: scheme, authority, then what an origin-form target holds. */
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/is;

/**
 * The request target in origin form (`/path?query`). A client talking to a proxy, or a proxy
 * itself, may send it in absolute form (`GET http://host/graphql?…`, RFC 9112 section 3.2.2,
 * which a server must accept); Express's router then parsed it with Node's legacy URL parser,
 * which printed a deprecation warning holding the whole URL (a secret in its query string
 * included) for an authority it found invalid, and answered an HTML 404. The authority is not
 * used: the Host header names the server, as for every other request.
 */
export function originForm(target: string): string {
  const rest = ABSOLUTE_FORM.exec(target)?.[1];
  if (rest === undefined) {
    return target;
  }
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** A request target's path and query string (`?` included), without any fragment. */
function split(url: string | undefined): { path: string; search: string } {
  const target = url ?? '/';
  const query = target.search(/[?#]/);
  if (query < 0) {
    return { path: target, search: '' };
  }
  const hash = target.indexOf('#', query);
  const search = target[query] === '#' ? '' : target.slice(query, hash < 0 ? undefined : hash);
  return { path: target.slice(0, query), search };
}

/** The path of a request target (`/graphql` of `/graphql?query=…`), as the log shows it. */
export function pathOf(url: string | undefined): string {
  return split(url).path;
}

/** The query string of a request target, `?` included (Apollo reads a GET's operation there). */
export function searchOf(url: string | undefined): string {
  return split(url).search;
}
