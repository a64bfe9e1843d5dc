// The notification table of the feed and of the search: each value can
// be clicked to filter by it, and each row opens to show the notification
// as pretty JSON.

import {h} from './dom.js';
import * as api from './api.js';
import * as fmt from './format.js';
import * as route from './route.js';
import * as widgets from './widgets.js';

// Filters of /v1/notifications, in the order the filter form offers them.
export const FILTERS = [
  ['event_type', 'Event type (glob: compute.instance.*)'],
  ['service', 'Service'], ['host', 'Host'], ['priority', 'Priority'],
  ['request_id', 'Request id'], ['global_request_id', 'Global request id'],
  ['resource_id', 'Resource id'], ['resource_type', 'Resource type'],
  ['project_id', 'Project id'], ['user_id', 'User id'],
  ['publisher_id', 'Publisher id'], ['message_id', 'Message id'],
  ['vm_state', 'VM state'], ['task_state', 'Task state'],
  ['power_state', 'Power state'], ['object_name', 'Versioned object'],
];
export const FILTER_NAMES = FILTERS.map(([name]) => name);

/** The notification filters among route parameters. */
export function filtersOf(params) {
  const filters = {};
  for (const name of FILTER_NAMES) {
    if (params.get(name)) filters[name] = params.get(name);
  }
  return filters;
}

/** A value that filters the current view by itself when clicked. */
export function filterValue(name, value, text, viewPath) {
  if (value === null || value === undefined || value === '') return '—';
  return h('a', {class: 'v', title: `Show only ${name} = ${value}`,
    href: route.withParams({[name]: value, marker: null}).replace(
      /^#[^?]*/, '#' + (viewPath || route.current().path)),
    dataset: {filter: name}}, text || String(value));
}

/** Chips of the active filters, each removable, plus a form to add one. */
export function filterBar(filters) {
  const chips = Object.entries(filters).map(([name, value]) =>
    h('span', {class: 'chip'}, h('span', {class: 'chip-name'}, name), ' = ',
      h('span', {class: 'mono'}, value),
      h('a', {href: route.withParams({[name]: null}), class: 'chip-x',
        title: `Remove the ${name} filter`, 'aria-label':
        `Remove the ${name} filter`}, '×')));
  const field = h('select', {name: 'field', 'aria-label': 'Filter field'},
    FILTERS.map(([name, text]) => h('option', {value: name}, text)));
  const input = h('input', {name: 'value', type: 'text', placeholder:
    'value', 'aria-label': 'Filter value', size: 28});
  const form = h('form', {class: 'inline-form', onsubmit: (event) => {
    event.preventDefault();
    if (input.value.trim()) {
      window.location.hash = route.withParams(
        {[field.value]: input.value.trim()}).slice(1);
    }
  }}, field, input, h('button', {class: 'button', type: 'submit'},
    'Add filter'));
  return h('div', {class: 'filters'}, form,
    chips.length ? h('div', {class: 'chips'}, chips,
      h('a', {href: route.href(route.current().path), class: 'clear'},
        'Clear all')) : null);
}

const COLUMNS = 8;

function summaryRow(item, viewPath) {
  const f = (name, text) => filterValue(name, item[name], text, viewPath);
  const toggle = h('button', {type: 'button', class: 'expand',
    'aria-expanded': 'false', title: 'Show the notification',
    'aria-label': 'Show the notification'}, '▸');
  const row = h('tr', {class: 'notification', dataset: {
    messageId: item.message_id}},
  h('td', {}, toggle),
  h('td', {class: 'nowrap mono', title: item.generated_at},
    fmt.time(item.generated_at)),
  h('td', {}, filterValue('priority', item.priority,
    widgets.priority(item.priority), viewPath)),
  h('td', {class: 'event'}, f('event_type')),
  h('td', {}, f('service')),
  h('td', {}, f('host')),
  h('td', {class: 'mono'}, filterValue('resource_id', item.resource_id,
    fmt.shortId(item.resource_id), viewPath)),
  h('td', {class: 'mono'}, filterValue('request_id', item.request_id,
    fmt.shortId(item.request_id), viewPath)));
  let detail = null;
  toggle.addEventListener('click', () => {
    if (detail) {
      detail.remove();
      detail = null;
      toggle.textContent = '▸';
      toggle.setAttribute('aria-expanded', 'false');
      return;
    }
    toggle.textContent = '▾';
    toggle.setAttribute('aria-expanded', 'true');
    const cell = h('td', {colspan: COLUMNS}, widgets.loading());
    detail = h('tr', {class: 'detail'}, cell);
    row.after(detail);
    api.get(route.path('/v1/notifications', item.message_id))
      .then((full) => cell.replaceChildren(detailView(full)))
      .catch((error) => cell.replaceChildren(
        widgets.errorBox(error, 'the notification')));
  });
  return row;
}

/** The links and JSON of an expanded notification. */
export function detailView(full) {
  return h('div', {class: 'detail-body'},
    h('div', {class: 'links'},
      h('a', {href: route.href(route.path('/notifications',
        full.message_id))}, 'Open this notification'),
      full.request_id ? h('a', {href: route.href(route.path('/requests',
        full.request_id))}, 'Request trace') : null,
      full.resource_id ? h('a', {href: route.href(route.path('/resources',
        full.resource_id))}, 'Resource lifecycle') : null),
    widgets.json(full));
}

/** An empty notification table; rows are added with addRows. */
export function notificationTable() {
  const tbody = h('tbody', {});
  const node = h('div', {class: 'table-wrap'}, h('table',
    {class: 'grid notifications'},
    h('thead', {}, h('tr', {},
      h('th', {class: 'narrow'}, h('span', {class: 'sr-only'}, 'Expand')),
      ['Generated (UTC)', 'Priority', 'Event type', 'Service', 'Host',
        'Resource', 'Request'].map((t) => h('th', {scope: 'col'}, t)))),
    tbody));
  return {node, tbody};
}

/** Append (or prepend, marked as new) rows for notifications. */
export function addRows(tbody, items, {prepend = false, viewPath} = {}) {
  const rows = items.map((item) => summaryRow(item, viewPath));
  if (prepend) {
    rows.forEach((row) => row.classList.add('fresh'));
    tbody.prepend(...rows);
  } else {
    tbody.append(...rows);
  }
  return rows;
}
