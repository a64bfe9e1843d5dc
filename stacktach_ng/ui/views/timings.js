// Timings: duration statistics per operation; for one operation its
// percentiles over time, the distribution of its durations, the breakdown
// by host and its slowest occurrences.

import {h, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as charts from '../lib/charts.js';
import * as fmt from '../lib/format.js';
import * as route from '../lib/route.js';
import * as widgets from '../lib/widgets.js';

const SAMPLE = 1000;

function statsColumns(first) {
  return [first,
    {title: 'Count', class: 'num', value: (r) => fmt.number(r.count)},
    {title: 'Errors', class: 'num', value: (r) => r.errors ?
      h('span', {class: 'bad-text'}, fmt.number(r.errors)) : '0'},
    {title: 'Min', class: 'num', value: (r) => fmt.duration(r.min_us)},
    {title: 'p50', class: 'num', value: (r) => fmt.duration(r.p50_us)},
    {title: 'p95', class: 'num', value: (r) => fmt.duration(r.p95_us)},
    {title: 'p99', class: 'num', value: (r) => fmt.duration(r.p99_us)},
    {title: 'Max', class: 'num', value: (r) => fmt.duration(r.max_us)}];
}

/** A bucket width giving about 24-48 points over the period. */
function bucketFor(seconds) {
  const choices = [60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 86400];
  return choices.find((c) => seconds / c <= 48) || 86400;
}

function overview(target, period) {
  target.append(widgets.loading());
  api.get('/v1/timings/summary', {since: period.since, until: period.until,
    group_by: 'operation'}).then((body) => {
    const rows = body.summary || [];
    replace(target, rows.length ? widgets.table(statsColumns(
      {title: 'Operation', value: (r) => h('a', {href: route.withParams(
        {operation: r.operation})}, r.operation)}), rows) :
      widgets.empty('No operation ended in this period.'));
  }).catch((error) => replace(target, widgets.errorBox(error,
    'the timing summary')));
}

function percentiles(target, operation, period) {
  const bucket = bucketFor(period.seconds);
  api.get('/v1/timings/summary', {since: period.since, until: period.until,
    operation, bucket}).then((body) => {
    const rows = (body.summary || []).filter((r) => r.bucket);
    if (!rows.length) {
      replace(target, widgets.empty('No occurrence in this period.'));
      return;
    }
    const points = (key) => rows.map((r) => [fmt.parseTime(r.bucket),
      r[key] === null ? null : r[key]]);
    const series = [
      {name: 'p50', color: '#2563eb', points: points('p50_us')},
      {name: 'p95', color: '#d97706', points: points('p95_us')},
      {name: 'p99', color: '#dc2626', points: points('p99_us')},
    ];
    replace(target, charts.legend(series), charts.lineChart(series, {
      format: fmt.duration, label: `Percentiles of ${operation} over time`,
      width: charts.widthOf(target),
      domain: [fmt.parseTime(period.since), fmt.parseTime(period.until)]}),
    h('p', {class: 'hint'}, `Buckets of ${fmt.duration(bucket * 1e6)}.`));
  }).catch((error) => replace(target, widgets.errorBox(error,
    'the percentiles')));
}

function byHost(target, operation, period) {
  api.get('/v1/timings/summary', {since: period.since, until: period.until,
    operation, group_by: 'host'}).then((body) => {
    const rows = (body.summary || []).sort((a, b) =>
      (b.p95_us || 0) - (a.p95_us || 0));
    replace(target, rows.length ? widgets.table(statsColumns(
      {title: 'Host', value: (r) => h('a', {href: route.href('/search',
        {host: r.host})}, r.host || '—')}), rows) :
      widgets.empty('No occurrence in this period.'));
  }).catch((error) => replace(target, widgets.errorBox(error,
    'the breakdown by host')));
}

function distribution(target, slowest, operation, period) {
  api.page('/v1/timings', 'timings', {operation, since: period.since,
    until: period.until, limit: SAMPLE}).then(({items, next}) => {
    const ended = items.filter((op) => op.duration_us !== null);
    const ok = ended.filter((op) => op.outcome !== 'error')
      .map((op) => op.duration_us);
    const bad = ended.filter((op) => op.outcome === 'error')
      .map((op) => op.duration_us);
    replace(target, ended.length ? [charts.histogram(ok, bad,
      {width: charts.widthOf(target)}),
      h('p', {class: 'hint'}, `${fmt.number(ended.length)} occurrences`,
        next ? ` (the latest ${SAMPLE})` : '', '; red: failed. ',
        'Logarithmic buckets.')] :
      widgets.empty('No ended occurrence in this period.'));
    const top = ended.sort((a, b) => b.duration_us - a.duration_us)
      .slice(0, 10);
    replace(slowest, top.length ? widgets.table([
      {title: 'Duration', class: 'num', value: (op) =>
        fmt.duration(op.duration_us)},
      {title: 'Outcome', value: (op) => widgets.outcome(op.outcome)},
      {title: 'Started (UTC)', class: 'nowrap mono', value: (op) =>
        fmt.time(op.started_at)},
      {title: 'Host', value: (op) => op.host},
      {title: 'Resource', value: (op) => widgets.resourceLink(
        op.resource_id)},
      {title: 'Request', value: (op) => widgets.requestLink(op.request_id)},
    ], top) : widgets.empty('No ended occurrence in this period.'));
  }).catch((error) => {
    replace(target, widgets.errorBox(error, 'the durations'));
    replace(slowest, '');
  });
}

export function render(container, current) {
  const params = current.params;
  const operation = params.get('operation');
  const period = widgets.period(params.get('period'));
  const tools = h('div', {class: 'filters'},
    widgets.paramSelect('Period', 'period', widgets.PERIODS.map((p) =>
      [p[0], p[1]]), period.name),
    operation ? h('span', {class: 'chip'}, h('span', {class: 'chip-name'},
      'operation'), ' = ', operation, h('a', {class: 'chip-x',
      href: route.withParams({operation: null}), title: 'All operations',
      'aria-label': 'All operations'}, '×')) : null);
  if (!operation) {
    const table = h('div', {});
    replace(container, widgets.title('Timings'), tools,
      widgets.section('Operations that ended in the period', h('p',
        {class: 'hint'}, 'Durations from each operation\'s .start to its ',
      '.end or .error. Pick an operation for its charts.'), table));
    overview(table, period);
    return;
  }
  const chart = h('div', {}, widgets.loading());
  const hist = h('div', {}, widgets.loading());
  const hosts = h('div', {}, widgets.loading());
  const slowest = h('div', {}, widgets.loading());
  replace(container, widgets.title(`Timings of ${operation}`), tools,
    h('div', {class: 'columns'},
      widgets.section('Percentiles over time', chart),
      widgets.section('Distribution', hist)),
    widgets.section('By host (slowest p95 first)', hosts),
    widgets.section('Slowest occurrences', slowest));
  percentiles(chart, operation, period);
  distribution(hist, slowest, operation, period);
  byHost(hosts, operation, period);
}
