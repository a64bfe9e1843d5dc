// Errors grouped by fingerprint (exception and message with ids and
// numbers masked), most recently seen first.

import {h, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as fmt from '../lib/format.js';
import * as route from '../lib/route.js';
import * as widgets from '../lib/widgets.js';

export function render(container, current) {
  const params = current.params;
  const period = widgets.period(params.get('period') || '7d');
  const list = h('div', {});
  replace(container, widgets.title('Errors'),
    h('div', {class: 'filters'}, widgets.paramSelect('Period', 'period',
      widgets.PERIODS.map((p) => [p[0], p[1]]), period.name),
    params.get('operation') ? h('span', {class: 'chip'},
      `operation = ${params.get('operation')}`) : null,
    params.get('host') ? h('span', {class: 'chip'},
      `host = ${params.get('host')}`) : null),
    list);
  widgets.pagedList(list,
    (next) => api.page(next || '/v1/errors', 'errors', next ? null : {
      since: period.since, until: period.until,
      operation: params.get('operation'), host: params.get('host'),
      limit: 100}),
    (items) => widgets.table([
      {title: 'Exception', value: (g) => h('a', {href: route.href(
        route.path('/errors', g.fingerprint)), class: 'error-link'},
      h('strong', {}, g.exception || '(no exception)'))},
      {title: 'Message', class: 'wrap', value: (g) => g.message},
      {title: 'Count', class: 'num', value: (g) => fmt.number(g.count)},
      {title: 'Operations', value: (g) => (g.operations || []).join(', ')},
      {title: 'Hosts', value: (g) => (g.hosts || []).length > 2 ?
        `${g.hosts.length} hosts` : (g.hosts || []).join(', ')},
      {title: 'Last seen (UTC)', class: 'nowrap mono', value: (g) =>
        fmt.time(g.last_seen, false)},
      {title: 'First seen (UTC)', class: 'nowrap mono', value: (g) =>
        fmt.time(g.first_seen, false)},
    ], items),
    'No error in this period.', 'the errors');
}
