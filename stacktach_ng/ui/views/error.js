// One error group: what it is, where it happens, and its latest
// occurrences with their requests and resources.

import {h, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as fmt from '../lib/format.js';
import * as route from '../lib/route.js';
import * as widgets from '../lib/widgets.js';

export function render(container, current) {
  const id = current.ids[0];
  replace(container, widgets.title('Error'), widgets.loading());
  api.get(route.path('/v1/errors', id), {limit: 100}).then((group) => {
    replace(container,
      widgets.title(group.exception || 'Error',
        widgets.badge(`${fmt.number(group.count)} ×`, 'error')),
      widgets.section(null, widgets.facts([
        ['Message', h('span', {class: 'wrap'}, group.message)],
        ['Fingerprint', h('span', {class: 'mono'}, group.fingerprint)],
        ['Operations', (group.operations || []).map((op) => h('a', {
          class: 'req-chip', href: route.href('/timings',
            {operation: op})}, op))],
        ['Hosts', (group.hosts || []).map((host) => h('a', {
          class: 'req-chip', href: route.href('/search', {host})}, host))],
        ['Services', (group.services || []).join(', ')],
        ['Raised in', [group.module_name, group.function_name]
          .filter(Boolean).join('.') || null],
        ['First seen', fmt.time(group.first_seen) + ' UTC'],
        ['Last seen', fmt.time(group.last_seen) + ' UTC'],
        ['Sample requests', (group.sample_requests || []).map((r) =>
          h('span', {class: 'req-chip'}, widgets.requestLink(r)))],
      ])),
      widgets.section('Latest occurrences', widgets.table([
        {title: 'At (UTC)', class: 'nowrap mono', value: (e) =>
          fmt.time(e.generated_at)},
        {title: 'Message', class: 'wrap', value: (e) => h('a', {
          href: route.href(route.path('/notifications', e.message_id))},
        e.message || e.event_type)},
        {title: 'Event type', value: (e) => e.event_type},
        {title: 'Host', value: (e) => e.host},
        {title: 'Request', value: (e) => widgets.requestLink(e.request_id)},
        {title: 'Resource', value: (e) => widgets.resourceLink(
          e.resource_id)},
      ], group.events || [])));
  }).catch((error) => replace(container, widgets.title('Error'),
    widgets.errorBox(error, 'error group ' + id)));
}
