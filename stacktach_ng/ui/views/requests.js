// Recent requests with their duration and outcome; each opens its trace.

import {h, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as fmt from '../lib/format.js';
import * as route from '../lib/route.js';
import * as widgets from '../lib/widgets.js';

export function render(container, current) {
  const params = current.params;
  const query = {operation: params.get('operation'),
    outcome: params.get('outcome')};
  const operation = h('input', {type: 'text', name: 'operation',
    value: query.operation || '', placeholder: 'instance.create',
    'aria-label': 'Operation'});
  const list = h('div', {});
  replace(container,
    widgets.title('Requests'),
    h('div', {class: 'filters'},
      h('form', {class: 'inline-form', onsubmit: (event) => {
        event.preventDefault();
        window.location.hash = route.withParams(
          {operation: operation.value.trim() || null}).slice(1);
      }}, h('label', {class: 'field inline'}, h('span', {}, 'Operation'),
        operation), h('button', {class: 'button', type: 'submit'},
        'Filter')),
      widgets.paramSelect('Outcome', 'outcome', [['', 'Any'],
        ['error', 'Failed'], ['success', 'Succeeded'],
        ['open', 'Not ended']], query.outcome)),
    h('p', {class: 'hint'}, 'A request is everything done under one ',
      'request id; its trace gathers the requests of other services that ',
      'name it as their global request id.'),
    list);
  widgets.pagedList(list,
    (next) => api.page(next || '/v1/requests', 'requests',
      next ? null : {...query, limit: 100}),
    (items) => {
      const longest = Math.max(1, ...items.map((r) => r.duration_us || 0));
      return widgets.table([
        {title: 'Started (UTC)', class: 'nowrap mono',
          value: (r) => fmt.time(r.started_at)},
        {title: 'Operation', value: (r) => h('a', {href: route.href(
          route.path('/requests', r.request_id)), class: 'request-link',
        dataset: {requestId: r.request_id}}, r.operation ||
          r.first_event_type || '(unnamed)')},
        {title: 'Service', value: (r) => widgets.serviceTag(r.service)},
        {title: 'Host', value: (r) => r.host},
        {title: 'Outcome', value: (r) => widgets.outcome(r.outcome)},
        {title: 'Duration', class: 'num', value: (r) => durationBar(
          r.duration_us, longest, r.outcome)},
        {title: 'Notifications', class: 'num', value: (r) =>
          fmt.number(r.notifications)},
        {title: 'Request id', value: (r) => widgets.requestLink(r.request_id)},
      ], items);
    },
    'No request matches. Requests appear once their notifications arrive.',
    'the requests');
}

function durationBar(us, longest, outcome) {
  if (us === null || us === undefined) return '—';
  const bar = h('span', {class: 'minibar'});
  bar.style.width = `${Math.max(2, (us / longest) * 100)}%`;
  bar.classList.add(outcome === 'error' ? 'bad' : 'good');
  return h('span', {class: 'minibar-cell'}, h('span', {class: 'minibar-track'},
    bar), fmt.duration(us));
}
