// Hash routes: every view has its own URL (#/requests/req-1?x=y) that can
// be bookmarked and shared.

/** The current route: {path, segments, params (URLSearchParams)}. */
export function current() {
  const hash = window.location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?', 2);
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  return {path, segments, params: new URLSearchParams(query || '')};
}

/** The hash URL of a view: href('/feed', {host: 'h1'}). */
export function href(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== '') {
      query.set(name, value);
    }
  }
  const text = query.toString();
  return '#' + path + (text ? '?' + text : '');
}

/** The path of a view for an id: path('/requests', id). */
export function path(base, id) {
  return base + '/' + encodeURIComponent(id);
}

export function go(path, params) {
  window.location.hash = href(path, params).slice(1);
}

/** The current route with some parameters changed (null removes one). */
export function withParams(changes) {
  const route = current();
  const params = Object.fromEntries(route.params.entries());
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === '') {
      delete params[name];
    } else {
      params[name] = value;
    }
  }
  return href(route.path, params);
}
