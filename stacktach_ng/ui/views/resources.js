// Resources: the ones stuck in an operation first, flagged, then the
// most recently seen.

import {h, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as fmt from '../lib/format.js';
import * as route from '../lib/route.js';
import * as widgets from '../lib/widgets.js';

const THRESHOLDS = [['300', '5 minutes'], ['600', '10 minutes'],
  ['1800', '30 minutes'], ['3600', '1 hour'], ['21600', '6 hours'],
  ['86400', '1 day']];

function stuckTable(items) {
  return widgets.table([
    {title: '', value: () => widgets.badge('stuck', 'stuck')},
    {title: 'Resource', value: (r) => r.resource_id ?
      widgets.resourceLink(r.resource_id) : h('em', {
        title: 'its start named no id; see the operation\'s request'},
      'no id yet')},
    {title: 'Type', value: (r) => r.resource_type},
    {title: 'Operation', value: (r) => r.operation ? h('a', {
      href: route.href(route.path('/requests', r.operation.request_id))},
    r.operation.operation) : '—'},
    {title: 'Task state', value: (r) => h('strong', {}, r.task_state ||
      '—')},
    {title: 'VM state', value: (r) => r.vm_state},
    {title: 'Stuck for', class: 'num', value: (r) =>
      fmt.duration(r.stuck_for_us)},
    {title: 'Since (UTC)', class: 'nowrap mono', value: (r) =>
      fmt.time(r.since)},
    {title: 'Waiting on', value: (r) => r.waiting_on ?
      h('span', {title: r.waiting_on.detail || ''},
        [widgets.serviceTag(r.waiting_on.service), r.waiting_on.host ?
          ` on ${r.waiting_on.host}` : '']) : '—'},
    {title: 'Last notification', value: (r) => r.last_step ? h('a', {
      href: route.href(route.path('/notifications', r.last_step.message_id)),
      title: `on ${r.last_step.host || '?'} at ${r.last_step.at}`},
    r.last_step.event_type) : '—'},
  ], items, (r) => ({class: 'stuck', dataset: {resourceId:
    r.resource_id}}));
}

function resourceTable(items) {
  return widgets.table([
    {title: 'Resource', value: (r) => r.resource_id ?
      widgets.resourceLink(r.resource_id) : h('em', {
        title: 'its start named no id; see the operation\'s request'},
      'no id yet')},
    {title: 'Type', value: (r) => r.resource_type},
    {title: 'VM state', value: (r) => r.vm_state},
    {title: 'Task state', value: (r) => r.task_state},
    {title: 'Status', value: (r) => r.status},
    {title: 'Last event', value: (r) => r.state_event_type},
    {title: 'Last seen (UTC)', class: 'nowrap mono', value: (r) =>
      fmt.time(r.last_seen)},
    {title: 'Project', class: 'mono', value: (r) => fmt.shortId(
      r.project_id)},
  ], items);
}

export function render(container, current) {
  const params = current.params;
  const olderThan = params.get('older_than') || '600';
  const type = params.get('resource_type') || '';
  const stuck = h('div', {});
  const recent = h('div', {});
  replace(container,
    widgets.title('Resources'),
    widgets.section('Stuck resources',
      h('div', {class: 'filters'}, widgets.paramSelect(
        'No progress for at least', 'older_than', THRESHOLDS, olderThan)),
      h('p', {class: 'hint'}, 'A resource is stuck when an operation on it ',
        'has been open, with no task state change, for longer than the ',
        'threshold.'),
      stuck),
    widgets.section('Recently seen',
      h('div', {class: 'filters'}, widgets.paramSelect('Type',
        'resource_type', [['', 'All'], ['instance', 'Instances'],
          ['volume', 'Volumes'], ['image', 'Images']], type)),
      recent));
  widgets.pagedList(stuck,
    (next) => api.page(next || '/v1/resources', 'resources',
      next ? null : {stuck: 'true', older_than: olderThan, limit: 50}),
    stuckTable, 'Nothing is stuck.', 'the stuck resources');
  widgets.pagedList(recent,
    (next) => api.page(next || '/v1/resources', 'resources',
      next ? null : {resource_type: type, limit: 50}),
    resourceTable, 'No resource has been seen yet.', 'the resources');
}
