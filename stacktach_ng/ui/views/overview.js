// Hosts and services: what publishes, how much, how many errors, when it
// was last heard from; the KPIs of the period.

import {h, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as charts from '../lib/charts.js';
import * as fmt from '../lib/format.js';
import * as route from '../lib/route.js';
import * as widgets from '../lib/widgets.js';

function kpi(label, value, bad) {
  return h('div', {class: 'kpi' + (bad ? ' bad' : '')},
    h('div', {class: 'label'}, label), h('div', {class: 'value'}, value));
}

async function allPages(path, key) {
  const items = [];
  let next = null;
  for (let i = 0; i < 10; i++) {
    const result = await api.page(next || path, key,
      next ? null : {limit: 1000});
    items.push(...result.items);
    next = result.next;
    if (!next) break;
  }
  return items;
}

/** Every bucket of the period, empty ones included: [[ms, n, errors]]. */
function fillBuckets(buckets, period, seconds) {
  const width = seconds * 1000;
  const byStart = new Map(buckets.map((b) => [fmt.parseTime(b.start), b]));
  const first = Math.floor(fmt.parseTime(period.since) / width) * width;
  const points = [];
  for (let ms = first; ms < fmt.parseTime(period.until); ms += width) {
    const found = byStart.get(ms);
    points.push([ms, found ? found.notifications : 0,
      found ? found.errors : 0]);
  }
  return points;
}

function merged(counts, breakdown, name) {
  const errors = new Map(breakdown.map((b) => [b[name], b]));
  return counts.map((item) => ({...item, period: errors.get(item[name])}));
}

function countsTable(items, name, title) {
  return widgets.table([
    {title, value: (r) => name === 'service' ? h('a', {href: route.href(
      '/feed', {service: r.service})}, widgets.serviceTag(r.service)) :
      h('a', {href: route.href('/feed', {host: r.host})}, r.host)},
    {title: 'Notifications', class: 'num', value: (r) =>
      fmt.number(r.count)},
    {title: 'Errors (period)', class: 'num', value: (r) => r.period ?
      fmt.number(r.period.errors) : '—'},
    {title: 'Error rate', class: 'num', value: (r) => r.period ?
      fmt.percent(r.period.error_rate) : '—'},
    {title: 'Last seen (UTC)', class: 'nowrap mono', value: (r) =>
      fmt.time(r.last_seen, false)},
  ].concat(name === 'host' ? [{title: '', value: (r) => h('a', {
    href: route.href('/errors', {host: r.host})}, 'errors')}] : []), items);
}

export function render(container, current) {
  const period = widgets.period(current.params.get('period'));
  const kpis = h('div', {class: 'kpis'});
  const chart = h('div', {}, widgets.loading());
  const services = h('div', {}, widgets.loading());
  const hosts = h('div', {}, widgets.loading());
  const latency = h('div', {}, widgets.loading());
  replace(container, widgets.title('Hosts & services'),
    h('div', {class: 'filters'}, widgets.paramSelect('Period', 'period',
      widgets.PERIODS.map((p) => [p[0], p[1]]), period.name)),
    kpis,
    widgets.section('Notifications over the period', chart),
    h('div', {class: 'columns'},
      widgets.section('Services', services),
      widgets.section('Request latency per operation', latency)),
    widgets.section('Hosts', hosts));
  const bucket = period.seconds <= 6 * 3600 ? 300 :
    (period.seconds <= 86400 ? 3600 : 6 * 3600);
  const summary = api.get('/v1/summary', {since: period.since,
    until: period.until, bucket});
  summary.then((body) => {
    replace(kpis, kpi('Notifications', fmt.number(body.notifications)),
      kpi('Errors', fmt.number(body.errors), body.errors > 0),
      kpi('Error rate', fmt.percent(body.error_rate), body.error_rate > 0.05),
      kpi('Services', fmt.number((body.by_service || []).length)),
      kpi('Hosts', fmt.number((body.by_host || []).length)));
    const points = fillBuckets(body.buckets || [], period, bucket);
    replace(chart, body.notifications ? charts.barsOverTime(points, {
      label: 'Notifications per bucket', width: charts.widthOf(chart)}) :
      widgets.empty('No notification in this period.'));
    const rows = body.request_latency || [];
    replace(latency, rows.length ? widgets.table([
      {title: 'Operation', value: (r) => h('a', {href: route.href(
        '/requests', {operation: r.operation})}, r.operation || '(unknown)')},
      {title: 'Requests', class: 'num', value: (r) => fmt.number(r.count)},
      {title: 'Failed', class: 'num', value: (r) => fmt.number(r.errors)},
      {title: 'p50', class: 'num', value: (r) => fmt.duration(r.p50_us)},
      {title: 'p95', class: 'num', value: (r) => fmt.duration(r.p95_us)},
    ], rows) : widgets.empty('No request ended in this period.'));
  }).catch((error) => {
    replace(kpis, widgets.errorBox(error, 'the summary'));
    replace(chart, '');
    replace(latency, '');
  });
  Promise.all([allPages('/v1/services', 'services'),
    summary.catch(() => ({}))]).then(([items, body]) => {
    replace(services, items.length ? countsTable(merged(items,
      body.by_service || [], 'service'), 'service', 'Service') :
      widgets.empty('No service has published yet.'));
  }).catch((error) => replace(services, widgets.errorBox(error,
    'the services')));
  Promise.all([allPages('/v1/hosts', 'hosts'),
    summary.catch(() => ({}))]).then(([items, body]) => {
    replace(hosts, items.length ? countsTable(merged(items,
      body.by_host || [], 'host'), 'host', 'Host') :
      widgets.empty('No host has published yet.'));
  }).catch((error) => replace(hosts, widgets.errorBox(error, 'the hosts')));
}
