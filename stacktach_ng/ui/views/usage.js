// Usage: the per-project report of a period and the tracked launches,
// deletes and .exists audit records.

import {h, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as fmt from '../lib/format.js';
import * as route from '../lib/route.js';
import * as widgets from '../lib/widgets.js';

const TABS = [['report', 'Report'], ['launches', 'Launches'],
  ['deletes', 'Deletes'], ['exists', 'Exists records']];

const HOURS = [['instance_hours', 'Instance h'], ['vcpu_hours', 'vCPU h'],
  ['memory_mb_hours', 'RAM MB·h'], ['disk_gb_hours', 'Disk GB·h'],
  ['image_gb_hours', 'Image GB·h'], ['volume_gb_hours', 'Volume GB·h']];

function unavailable(path) {
  return widgets.empty(`This server does not serve ${path} yet: the usage ` +
    'API is not enabled in this version.');
}

function defaultPeriod() {
  const now = new Date();
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(),
    now.getUTCDate() + 1);
  return {start: fmt.msToInput(end - 7 * 86400000), end: fmt.msToInput(end)};
}

function report(target, params) {
  const period = defaultPeriod();
  const start = params.get('start') || period.start;
  const end = params.get('end') || period.end;
  const startInput = h('input', {type: 'datetime-local', name: 'start',
    value: start.slice(0, 16)});
  const endInput = h('input', {type: 'datetime-local', name: 'end',
    value: end.slice(0, 16)});
  const result = h('div', {}, widgets.loading());
  replace(target, h('form', {class: 'inline-form', onsubmit: (event) => {
    event.preventDefault();
    window.location.hash = route.withParams({
      start: startInput.value, end: endInput.value}).slice(1);
  }}, h('label', {class: 'field'}, h('span', {}, 'From (UTC)'), startInput),
  h('label', {class: 'field'}, h('span', {}, 'To (UTC)'), endInput),
  h('button', {class: 'button', type: 'submit'}, 'Show')), result);
  api.get('/v1/usage/report', {start: fmt.inputToIso(start),
    end: fmt.inputToIso(end), project_id: params.get('project_id')})
    .then((body) => {
      const projects = body.projects || [];
      if (!projects.length) {
        replace(result, widgets.empty('No usage in this period.'));
        return;
      }
      const columns = [
        {title: 'Project', class: 'mono', value: (p) => p.project_id ||
          'Total'},
        {title: 'Instances', class: 'num', value: (p) =>
          fmt.number(p.instances)},
        ...HOURS.map(([key, text]) => ({title: text, class: 'num',
          value: (p) => fmt.number(p[key], 1)}))];
      replace(result, widgets.table(columns,
        [...projects, {...(body.totals || {}), project_id: null}],
        (p) => (p.project_id ? {} : {class: 'total'})),
      h('p', {class: 'hint'}, 'Hours are clipped to the period; GB are ',
        'GiB. An instance counts from its launch to its deletion.'));
    }).catch((error) => replace(result, widgets.errorBox(error,
      'the usage report')));
}

const LIST_COLUMNS = {
  launches: [
    {title: 'Launched (UTC)', class: 'nowrap mono', value: (r) =>
      fmt.time(r.launched_at, false)},
    {title: 'Kind', value: (r) => r.kind},
    {title: 'Instance', value: (r) => widgets.resourceLink(r.instance_id)},
    {title: 'Flavor', value: (r) => r.flavor_name || r.flavor_id},
    {title: 'vCPUs', class: 'num', value: (r) => fmt.number(r.vcpus)},
    {title: 'RAM MB', class: 'num', value: (r) => fmt.number(r.memory_mb)},
    {title: 'Disk GB', class: 'num', value: (r) => fmt.number(r.root_gb)},
    {title: 'Project', class: 'mono', value: (r) =>
      fmt.shortId(r.project_id)},
  ],
  deletes: [
    {title: 'Deleted (UTC)', class: 'nowrap mono', value: (r) =>
      fmt.time(r.deleted_at, false)},
    {title: 'Type', value: (r) => r.resource_type},
    {title: 'Resource', value: (r) => widgets.resourceLink(r.resource_id)},
    {title: 'Launched (UTC)', class: 'nowrap mono', value: (r) =>
      fmt.time(r.launched_at, false)},
    {title: 'Project', class: 'mono', value: (r) =>
      fmt.shortId(r.project_id)},
  ],
  exists: [
    {title: 'Audit period (UTC)', class: 'nowrap mono', value: (r) =>
      `${fmt.time(r.audit_period_beginning, false)} → ` +
      `${fmt.time(r.audit_period_ending, false).slice(11)}`},
    {title: 'Type', value: (r) => r.resource_type},
    {title: 'Resource', value: (r) => widgets.resourceLink(r.resource_id)},
    {title: 'Flavor', value: (r) => r.flavor_name || r.flavor_id},
    {title: 'Status', value: (r) => widgets.badge(r.status, r.status)},
    {title: 'Reason', value: (r) => r.reason},
    {title: 'Project', class: 'mono', value: (r) =>
      fmt.shortId(r.project_id)},
  ],
};

function list(target, kind) {
  widgets.pagedList(target,
    (next) => api.page(next || `/v1/usage/${kind}`, kind,
      next ? null : {limit: 100}),
    (items) => widgets.table(LIST_COLUMNS[kind], items),
    `No ${kind} recorded.`, `the ${kind}`);
}

export function render(container, current) {
  const tab = TABS.find(([name]) => name === current.params.get('tab')) ?
    current.params.get('tab') : 'report';
  const body = h('div', {}, widgets.loading());
  replace(container, widgets.title('Usage'),
    h('div', {class: 'tabs', role: 'tablist'}, TABS.map(([name, text]) =>
      h('a', {href: route.href('/usage', name === 'report' ? {} :
        {tab: name}), role: 'tab', class: name === tab ? 'active' : null,
      'aria-selected': String(name === tab)}, text))),
    widgets.section(null, body));
  const path = tab === 'report' ? '/v1/usage/report' : `/v1/usage/${tab}`;
  api.serves(path).then((served) => {
    if (!served) {
      replace(body, unavailable(path));
    } else if (tab === 'report') {
      report(body, current.params);
    } else {
      list(body, tab);
    }
  }).catch((error) => replace(body, widgets.errorBox(error,
    'the API description')));
}
