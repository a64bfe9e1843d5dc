// Search: notifications by any normalized field, event type glob and
// time range, paged.

import {h, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as fmt from '../lib/format.js';
import * as notifications from '../lib/notifications.js';
import * as route from '../lib/route.js';
import * as widgets from '../lib/widgets.js';

function searchForm(params) {
  const inputs = notifications.FILTERS.map(([name, label]) =>
    h('label', {class: 'field'}, h('span', {}, label),
      h('input', {type: 'text', name, value: params.get(name) || ''})));
  const since = h('input', {type: 'datetime-local', name: 'since',
    value: (params.get('since') || '').slice(0, 16)});
  const until = h('input', {type: 'datetime-local', name: 'until',
    value: (params.get('until') || '').slice(0, 16)});
  const order = h('select', {name: 'sort_dir'},
    h('option', {value: 'desc', selected: params.get('sort_dir') !== 'asc'},
      'Newest first'),
    h('option', {value: 'asc', selected: params.get('sort_dir') === 'asc'},
      'Oldest first'));
  const form = h('form', {class: 'search-form', onsubmit: (event) => {
    event.preventDefault();
    const values = {};
    for (const input of form.querySelectorAll('input, select')) {
      if (input.value.trim()) values[input.name] = input.value.trim();
    }
    if (values.since) values.since = fmt.inputToIso(values.since);
    if (values.until) values.until = fmt.inputToIso(values.until);
    if (values.sort_dir === 'desc') delete values.sort_dir;
    route.go('/search', values);
  }},
  h('div', {class: 'form-grid'}, inputs,
    h('label', {class: 'field'}, h('span', {}, 'Since (UTC)'), since),
    h('label', {class: 'field'}, h('span', {}, 'Until (UTC)'), until),
    h('label', {class: 'field'}, h('span', {}, 'Order'), order)),
  h('div', {class: 'form-actions'},
    h('button', {class: 'button primary', type: 'submit'}, 'Search'),
    h('a', {href: '#/search', class: 'button'}, 'Reset')));
  return form;
}

export function render(container, current) {
  const params = current.params;
  const query = notifications.filtersOf(params);
  for (const name of ['since', 'until', 'sort_dir']) {
    if (params.get(name)) query[name] = params.get(name);
  }
  const results = h('div', {});
  const searched = Object.keys(query).length > 0;
  replace(container, widgets.title('Search notifications'),
    widgets.section(null, searchForm(params)),
    widgets.section(searched ? 'Results' : 'Latest notifications', results));
  const table = notifications.notificationTable();
  let first = true;
  widgets.pagedList(results,
    (next) => api.page(next || '/v1/notifications', 'notifications',
      next ? null : {...query, limit: 50}),
    (items) => {
      if (first) {
        first = false;
        notifications.addRows(table.tbody, items, {viewPath: '/search'});
        return table.node;
      }
      notifications.addRows(table.tbody, items, {viewPath: '/search'});
      return null;
    },
    'No notification matches this search.', 'the notifications');
}
