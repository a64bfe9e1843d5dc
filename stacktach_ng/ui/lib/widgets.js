// Small building blocks shared by the views.

import {h, replace} from './dom.js';
import * as fmt from './format.js';
import * as colors from './colors.js';
import * as route from './route.js';

export function loading(text = 'Loading…') {
  return h('div', {class: 'state loading', role: 'status'},
    h('span', {class: 'spinner', 'aria-hidden': 'true'}), text);
}

export function empty(text) {
  return h('div', {class: 'state empty'}, text);
}

export function errorBox(error, what) {
  const message = error && error.message ? error.message : String(error);
  return h('div', {class: 'state error', role: 'alert'},
    h('strong', {}, what ? `Could not load ${what}. ` : 'Error. '), message);
}

export function title(text, ...extra) {
  return h('div', {class: 'view-title'}, h('h1', {}, text), ...extra);
}

export function section(heading, ...children) {
  return h('section', {class: 'panel'}, heading ? h('h2', {}, heading) : null,
    ...children);
}

/** A badge for an outcome (success, error, open) or any word. */
export function badge(text, kind) {
  return h('span', {class: `badge badge-${kind || text}`}, text);
}

export function outcome(value) {
  const labels = {success: 'ok', error: 'error', open: 'open'};
  return badge(labels[value] || value || '—', value || 'none');
}

export function serviceTag(name) {
  const dot = h('span', {class: 'dot', 'aria-hidden': 'true'});
  dot.style.background = colors.service(name);
  return h('span', {class: 'service'}, dot, name || '—');
}

export function priority(value) {
  const kind = ['ERROR', 'CRITICAL'].includes(value) ? 'error' :
    (value === 'WARN' || value === 'WARNING' ? 'open' : 'info');
  return badge(value || '—', kind);
}

/** A link to the view of an id, with the short form of the id shown. */
export function idLink(base, id, short = true) {
  if (!id) return '—';
  return h('a', {href: route.href(route.path(base, id)), title: id,
    class: 'mono'}, short ? fmt.shortId(id) : id);
}

export const requestLink = (id, short) => idLink('/requests', id, short);
export const resourceLink = (id, short) => idLink('/resources', id, short);
export const notificationLink = (id, short) =>
  idLink('/notifications', id, short);

/** Label/value pairs. */
export function facts(pairs) {
  return h('dl', {class: 'facts'}, pairs.filter(Boolean).map(([k, v]) => [
    h('dt', {}, k), h('dd', {}, v === null || v === undefined ? '—' : v)]));
}

/**
 * A table. columns: [{title, value: item => node|text, class}].
 * rowAttrs(item) may return attributes for the row (class, onclick).
 */
export function table(columns, items, rowAttrs) {
  return h('div', {class: 'table-wrap'}, h('table', {class: 'grid'},
    h('thead', {}, h('tr', {}, columns.map((c) =>
      h('th', {class: c.class || null, scope: 'col'}, c.title)))),
    h('tbody', {}, items.map((item) => h('tr', rowAttrs ? rowAttrs(item) : {},
      columns.map((c) => h('td', {class: c.class || null},
        cell(c.value(item)))))))));
}

function cell(value) {
  return value === null || value === undefined || value === '' ? '—' : value;
}

/** Pretty JSON with coloured keys and values; long strings wrap. */
export function json(value) {
  return h('pre', {class: 'json'}, jsonNodes(value, ''));
}

function jsonNodes(value, indent) {
  if (value === null) return h('span', {class: 'j-null'}, 'null');
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    const inner = indent + '  ';
    return ['[\n', value.map((v, i) => [inner, jsonNodes(v, inner),
      i < value.length - 1 ? ',\n' : '\n']), indent + ']'];
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (!keys.length) return '{}';
    const inner = indent + '  ';
    return ['{\n', keys.map((k, i) => [inner,
      h('span', {class: 'j-key'}, JSON.stringify(k)), ': ',
      jsonNodes(value[k], inner), i < keys.length - 1 ? ',\n' : '\n']),
    indent + '}'];
  }
  const kind = typeof value === 'string' ? 'j-str' :
    (typeof value === 'number' ? 'j-num' : 'j-bool');
  return h('span', {class: kind}, JSON.stringify(value));
}

/**
 * A list that fetches its first page and then "Load more" pages.
 * load(next) returns a promise of {items, next}; render(items) returns
 * the nodes of a page.
 */
export function pagedList(container, load, render, emptyText, what) {
  const body = h('div', {});
  const more = h('div', {class: 'more'});
  replace(container, body, more);
  body.append(loading());
  let count = 0;
  const fetchPage = (next) => load(next).then(({items, next: following}) => {
    if (!count) body.replaceChildren();
    count += items.length;
    if (!count) {
      body.append(empty(emptyText));
    } else if (items.length) {
      body.append(render(items));
    }
    more.replaceChildren();
    if (following) {
      more.append(h('button', {class: 'button', type: 'button',
        onclick: (event) => {
          event.target.disabled = true;
          event.target.textContent = 'Loading…';
          fetchPage(following);
        }}, 'Load more'));
    }
  }).catch((error) => {
    more.replaceChildren(errorBox(error, what));
    if (!count) body.replaceChildren();
  });
  fetchPage(null);
}

/** A select bound to a route parameter. */
export function paramSelect(label, name, options, value) {
  return h('label', {class: 'field'}, h('span', {}, label),
    h('select', {name, onchange: (event) => {
      window.location.hash = route.withParams(
        {[name]: event.target.value}).slice(1);
    }}, options.map(([v, text]) => h('option', {value: v,
      selected: String(v) === String(value || '')}, text))));
}

/** Time window choices as {since} relative to now. */
export const PERIODS = [
  ['1h', 'Last hour', 3600], ['6h', 'Last 6 hours', 6 * 3600],
  ['1d', 'Last day', 86400], ['7d', 'Last 7 days', 7 * 86400],
  ['30d', 'Last 30 days', 30 * 86400],
];

/** {since, until} ISO strings of a period name (default 1d). */
export function period(name) {
  const found = PERIODS.find((p) => p[0] === name) || PERIODS[2];
  const until = Date.now();
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  return {since: iso(until - found[2] * 1000), until: iso(until + 60000),
    seconds: found[2], name: found[0]};
}
