// The trace of a request as a waterfall: spans nested and coloured by
// service, their durations, failures and the critical path, and the
// notifications inside each span.

import {h, s, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as colors from '../lib/colors.js';
import * as faults from '../lib/faults.js';
import * as fmt from '../lib/format.js';
import * as route from '../lib/route.js';
import * as widgets from '../lib/widgets.js';

/** Rows of the span tree, depth first, with their depth. */
function flatten(span, depth = 0, rows = []) {
  rows.push({span, depth});
  for (const child of span.children || []) flatten(child, depth + 1, rows);
  return rows;
}

function bounds(rows, trace) {
  let start = Infinity;
  let end = -Infinity;
  for (const {span} of rows) {
    const a = fmt.parseTimeUs(span.started_at);
    const b = fmt.parseTimeUs(span.ended_at);
    for (const value of [a, b]) {
      if (value !== null) {
        start = Math.min(start, value);
        end = Math.max(end, value);
      }
    }
    for (const n of span.notifications || []) {
      const t = fmt.parseTimeUs(n.generated_at);
      if (t !== null) end = Math.max(end, t);
    }
  }
  if (!Number.isFinite(start)) {
    start = fmt.parseTimeUs(trace.started_at) || 0;
    end = start + 1;
  }
  return {start, end: Math.max(end, start + 1)};
}

function pct(value, range) {
  return ((value - range.start) / (range.end - range.start)) * 100;
}

function axis(range) {
  const svg = s('svg', {class: 'wf-axis', height: 20, width: '100%',
    'aria-hidden': 'true'});
  const total = range.end - range.start;
  for (let i = 0; i <= 4; i++) {
    const x = i * 25;
    svg.append(s('line', {x1: `${x}%`, x2: `${x}%`, y1: 14, y2: 20,
      class: 'tick'}));
    svg.append(s('text', {x: `${x}%`, y: 11, 'text-anchor':
      i === 0 ? 'start' : (i === 4 ? 'end' : 'middle')},
    fmt.duration((total * i) / 4)));
  }
  return svg;
}

function spanEnd(span, range) {
  const end = fmt.parseTimeUs(span.ended_at);
  if (end !== null) return {end, open: false};
  // An open span: drawn to the last notification in it, or to the end
  // of the trace, dashed.
  let last = fmt.parseTimeUs(span.started_at) || range.start;
  for (const n of span.notifications || []) {
    last = Math.max(last, fmt.parseTimeUs(n.generated_at) || last);
  }
  return {end: span.outcome === 'open' ? range.end : last, open: true};
}

function track(span, range, critical) {
  const svg = s('svg', {class: 'wf-track', height: 22, width: '100%',
    role: 'img', 'aria-label': `${span.operation || span.kind} ` +
      `${fmt.duration(span.duration_us)}`});
  for (let i = 1; i < 4; i++) {
    svg.append(s('line', {x1: `${i * 25}%`, x2: `${i * 25}%`, y1: 0,
      y2: 22, class: 'grid-line'}));
  }
  const startUs = fmt.parseTimeUs(span.started_at) ??
    fmt.parseTimeUs(span.ended_at) ?? range.start;
  const {end, open} = spanEnd(span, range);
  const x = pct(startUs, range);
  const width = Math.max(0.4, pct(end, range) - x);
  const bar = s('rect', {x: `${x}%`, y: 4, width: `${width}%`, height: 14,
    rx: 2, fill: colors.service(span.service),
    class: ['bar', span.outcome === 'error' ? 'bar-error' : '',
      open ? 'bar-open' : '', critical ? 'bar-critical' : '']
      .filter(Boolean).join(' ')},
  s('title', {}, `${span.service || ''} ${span.operation || ''}: ` +
    `${fmt.duration(span.duration_us)} (${span.outcome})`));
  svg.append(bar);
  for (const n of span.notifications || []) {
    const t = fmt.parseTimeUs(n.generated_at);
    if (t === null) continue;
    const bad = ['ERROR', 'CRITICAL'].includes(n.priority);
    svg.append(s('line', {x1: `${pct(t, range)}%`, x2: `${pct(t, range)}%`,
      y1: bad ? 0 : 6, y2: bad ? 22 : 16,
      class: bad ? 'tick-error' : 'tick-note'},
    s('title', {}, `${fmt.clock(n.generated_at)} ${n.event_type}`)));
  }
  return svg;
}

function notificationList(span, range) {
  if (!(span.notifications || []).length) {
    return h('p', {class: 'hint'}, 'No notification sits directly in this ' +
      'span (see its children).');
  }
  return widgets.table([
    {title: 'At', class: 'nowrap mono', value: (n) => '+' + fmt.duration(
      fmt.parseTimeUs(n.generated_at) - range.start)},
    {title: 'Event type', value: (n) => h('a', {href: route.href(
      route.path('/notifications', n.message_id))}, n.event_type)},
    {title: 'Priority', value: (n) => widgets.priority(n.priority)},
    {title: 'Host', value: (n) => n.host},
  ], span.notifications);
}

function waterfall(trace) {
  const rows = flatten(trace.root);
  const range = bounds(rows, trace);
  const critical = new Set(trace.critical_path || []);
  const body = h('div', {class: 'waterfall', role: 'table',
    'aria-label': 'Spans of the trace'});
  body.append(h('div', {class: 'wf-row wf-head', role: 'row'},
    h('div', {role: 'columnheader'}, 'Span'),
    h('div', {role: 'columnheader'}, axis(range)),
    h('div', {role: 'columnheader', class: 'num'}, 'Duration')));
  for (const {span, depth} of rows) {
    const onPath = critical.has(span.id);
    const label = h('button', {type: 'button', class: 'wf-label',
      'aria-expanded': 'false', title: 'Show the notifications of this span'},
    h('span', {class: 'wf-caret', 'aria-hidden': 'true'}, '▸'),
    widgets.serviceTag(span.service),
    h('span', {class: 'wf-op'}, span.operation || span.kind),
    span.outcome === 'error' ? widgets.badge('error', 'error') : null,
    span.outcome === 'open' ? widgets.badge('open', 'open') : null,
    onPath ? h('span', {class: 'crit-mark', title: 'On the critical path'},
      '◆') : null);
    label.style.paddingLeft = `${0.4 + depth * 1.1}rem`;
    const row = h('div', {class: 'wf-row' + (onPath ? ' critical' : '') +
      (span.outcome === 'error' ? ' failed' : ''), role: 'row',
    dataset: {spanId: span.id, service: span.service || '',
      operation: span.operation || '', requestId: span.request_id || '',
      kind: span.kind, outcome: span.outcome}},
    h('div', {class: 'wf-name', role: 'cell'}, label,
      h('span', {class: 'wf-host', title: span.host || ''}, span.host || '')),
    h('div', {role: 'cell'}, track(span, range, onPath)),
    h('div', {role: 'cell', class: 'num nowrap'},
      fmt.duration(span.duration_us)));
    let detail = null;
    label.addEventListener('click', () => {
      if (detail) {
        detail.remove();
        detail = null;
        label.setAttribute('aria-expanded', 'false');
        label.firstChild.textContent = '▸';
        return;
      }
      label.setAttribute('aria-expanded', 'true');
      label.firstChild.textContent = '▾';
      detail = h('div', {class: 'wf-detail'},
        widgets.facts([
          ['Kind', span.kind],
          ['Request', widgets.requestLink(span.request_id, false)],
          ['Host', span.host],
          ['Started', fmt.time(span.started_at) + ' UTC'],
          ['Ended', span.ended_at ? fmt.time(span.ended_at) + ' UTC' :
            'not ended'],
          span.resource_id ? ['Resource',
            widgets.resourceLink(span.resource_id, false)] : null,
        ]), notificationList(span, range));
      row.after(detail);
    });
    body.append(row);
  }
  return body;
}

function legend(trace) {
  const services = new Set(flatten(trace.root).map((r) => r.span.service)
    .filter(Boolean));
  return h('div', {class: 'legend'}, [...services].sort().map((name) =>
    widgets.serviceTag(name)),
  h('span', {class: 'legend-item'}, h('span', {class: 'key key-error'}),
    'failed'),
  h('span', {class: 'legend-item'}, h('span', {class: 'key key-open'}),
    'not ended'),
  h('span', {class: 'legend-item'}, h('span', {class: 'crit-mark'}, '◆'),
    'critical path'));
}

async function errorsOf(trace) {
  const failed = (trace.requests || []).filter((r) => r.outcome === 'error');
  const found = [];
  for (const request of failed.slice(0, 5)) {
    const {items} = await api.page('/v1/notifications', 'notifications', {
      request_id: request.request_id, priority: 'ERROR', details: 'true',
      limit: 20, sort_dir: 'asc'});
    found.push(...items);
  }
  return found;
}

function errorList(items) {
  return widgets.table([
    {title: 'At (UTC)', class: 'nowrap mono', value: (n) =>
      fmt.time(n.generated_at)},
    {title: 'Event type', value: (n) => h('a', {href: route.href(
      route.path('/notifications', n.message_id))}, n.event_type)},
    {title: 'Exception', value: (n) => h('strong', {},
      faults.describe(n.payload).exception || '—')},
    {title: 'Message', class: 'wrap', value: (n) =>
      faults.describe(n.payload).message},
    {title: 'Host', value: (n) => n.host},
  ], items);
}

export function render(container, current) {
  const id = current.ids[0];
  replace(container, widgets.title('Request trace'), widgets.loading());
  api.get(route.path('/v1/requests', id)).then((trace) => {
    const root = trace.root;
    const errors = h('div', {});
    replace(container,
      widgets.title(root.operation || 'Request trace',
        widgets.outcome(trace.outcome)),
      widgets.section(null, widgets.facts([
        ['Request', h('span', {class: 'mono'}, trace.request_id)],
        trace.global_request_id ? ['Global request',
          widgets.requestLink(trace.global_request_id, false)] : null,
        ['Started', fmt.time(trace.started_at) + ' UTC'],
        ['Duration', fmt.duration(trace.duration_us)],
        ['Spans', fmt.number(trace.span_count)],
        ['Requests', (trace.requests || []).map((r) => h('span',
          {class: 'req-chip'}, widgets.serviceTag(r.service), ' ',
          widgets.requestLink(r.request_id)))],
        root.resource_id ? ['Resource',
          widgets.resourceLink(root.resource_id, false)] : null,
      ])),
      widgets.section('Waterfall', legend(trace), waterfall(trace),
        h('p', {class: 'hint'}, 'Bars are spans, coloured by service; ',
          'ticks are notifications (red: errors). Click a span to list ',
          'its notifications. The critical path (marked) is the longest ',
          'chain of work: what the request waited on, parents and ',
          'children.')),
      trace.outcome === 'error' ? widgets.section('Errors', errors) : null);
    if (trace.outcome === 'error') {
      errors.append(widgets.loading());
      errorsOf(trace).then((items) => replace(errors, items.length ?
        errorList(items) : widgets.empty('No ERROR notification was ' +
          'recorded for the failed requests.'))).catch((error) =>
        replace(errors, widgets.errorBox(error, 'the errors')));
    }
  }).catch((error) => replace(container, widgets.title('Request trace'),
    widgets.errorBox(error, 'the trace of ' + id)));
}
