// The lifecycle of a resource: task states as a Gantt bar with the VM
// states, operations and faults on the same time axis; its transitions,
// operations and faults; a banner when it is stuck.

import {h, s, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as colors from '../lib/colors.js';
import * as fmt from '../lib/format.js';
import * as route from '../lib/route.js';
import * as widgets from '../lib/widgets.js';

// As the API's /v1/resources?stuck=true default: seconds without progress.
const STUCK_AFTER_S = 600;
const WIDTH = 1200;
const LABEL_W = 110;

function flatOperations(operations) {
  return operations.flatMap((op) => op.steps ? op.steps : [op]);
}

/** The open operation the resource is stuck in, or null. */
export function stuckIn(resource, nowMs = Date.now()) {
  const limit = nowMs - STUCK_AFTER_S * 1000;
  const open = flatOperations(resource.operations || []).filter((op) =>
    op.outcome === 'open' && fmt.parseTime(op.started_at) !== null &&
    fmt.parseTime(op.started_at) < limit);
  if (!open.length) return null;
  const states = resource.task_states || [];
  const since = states.length ? states[states.length - 1].entered_at :
    open[open.length - 1].started_at;
  if (fmt.parseTime(since) >= limit) return null;
  return {operation: open[open.length - 1], since,
    forMs: nowMs - fmt.parseTime(since)};
}

function segmentsOf(resource, field, endMs) {
  const out = [];
  for (const t of resource.transitions || []) {
    if (t.field !== field) continue;
    const at = fmt.parseTime(t.at);
    if (out.length) out[out.length - 1].to = at;
    out.push({value: t.to, from: at, to: endMs, request: t.request_id});
  }
  return out;
}

function gantt(resource, range, stuck) {
  const lanes = [['Task state', 'task'], ['VM state', 'vm'],
    ['Operations', 'ops'], ['Faults', 'faults']];
  const laneH = 30;
  const height = lanes.length * laneH + 26;
  const plotW = WIDTH - LABEL_W - 10;
  const X = (ms) => LABEL_W + ((ms - range.from) / (range.to - range.from)) *
    plotW;
  const svg = s('svg', {class: 'chart gantt', viewBox:
    `0 0 ${WIDTH} ${height}`, role: 'img',
  'aria-label': 'Task states, VM states, operations and faults over time'});
  lanes.forEach(([label], i) => {
    svg.append(s('text', {x: 0, y: i * laneH + 19, class: 'lane-label'},
      label));
    svg.append(s('line', {x1: LABEL_W, x2: WIDTH - 10, y1: (i + 1) * laneH,
      y2: (i + 1) * laneH, class: 'gridline'}));
  });
  const bar = (lane, from, to, fill, label, title, extra = {}) => {
    const x = Math.max(LABEL_W, X(from));
    const w = Math.max(2, Math.min(WIDTH - 10, X(to)) - x);
    const group = s('g', {}, s('rect', {x, y: lane * laneH + 5, width: w,
      height: laneH - 10, rx: 3, fill, ...extra}, s('title', {}, title)));
    if (label && w > label.length * 6.5 + 8) {
      group.append(s('text', {x: x + 4, y: lane * laneH + 19,
        class: 'seg-label'}, label));
    }
    svg.append(group);
  };
  const endMs = range.end;
  for (const seg of (resource.task_states || [])) {
    const from = fmt.parseTime(seg.entered_at);
    const to = seg.left_at ? fmt.parseTime(seg.left_at) : endMs;
    if (!seg.task_state) continue;
    bar(0, from, to, colors.taskState(seg.task_state), seg.task_state,
      `${seg.task_state}: ${fmt.duration(seg.duration_us ??
        (to - from) * 1000)}${seg.left_at ? '' : ' (current)'}`,
      !seg.left_at && stuck ? {class: 'bar-error'} : {});
  }
  for (const seg of segmentsOf(resource, 'vm_state', endMs)) {
    const fill = seg.value === 'error' ? '#b91c1c' :
      (seg.value === 'active' ? '#15803d' : '#64748b');
    bar(1, seg.from, seg.to, fill, seg.value || 'none',
      `${seg.value}: ${fmt.duration((seg.to - seg.from) * 1000)}`);
  }
  for (const op of flatOperations(resource.operations || [])) {
    const from = fmt.parseTime(op.started_at || op.ended_at);
    const to = op.ended_at ? fmt.parseTime(op.ended_at) : endMs;
    bar(2, from, to, colors.OUTCOME[op.outcome] || '#64748b', op.operation,
      `${op.operation}: ${fmt.duration(op.duration_us)} (${op.outcome})`);
  }
  for (const fault of resource.faults || []) {
    const x = X(fmt.parseTime(fault.generated_at));
    const y = 3 * laneH + laneH / 2;
    svg.append(s('path', {d: `M${x},${y - 8} L${x + 7},${y} L${x},${y + 8} ` +
      `L${x - 7},${y} Z`, class: 'fault'}, s('title', {},
      `${fault.exception || 'error'}: ${fault.message || ''}`)));
  }
  for (let i = 0; i <= 4; i++) {
    const ms = range.from + ((range.to - range.from) * i) / 4;
    svg.append(s('text', {x: X(ms), y: height - 6, 'text-anchor':
      i === 0 ? 'start' : (i === 4 ? 'end' : 'middle')},
    fmt.time(ms).slice(5, 19)));
  }
  return svg;
}

function zoomChoices(resource) {
  return [['', 'The failed or open operation, else the whole life'],
    ['all', 'The whole life'], ...(resource.operations || []).map((op, i) =>
    [String(i), `${op.operation} at ${fmt.time(op.started_at ||
      op.ended_at, false)}`])];
}

function rangeOf(resource, zoom, stuck) {
  const ops = resource.operations || [];
  let op = null;
  if (zoom === null || zoom === '') {
    op = [...ops].reverse().find((o) => o.outcome !== 'success') || null;
  } else if (zoom !== 'all') {
    op = ops[Number(zoom)] || null;
  }
  let end = fmt.parseTime(resource.last_seen);
  if (stuck) end = Date.now();
  if (op) {
    const from = fmt.parseTime(op.started_at || op.ended_at);
    const to = op.ended_at ? fmt.parseTime(op.ended_at) : end;
    const margin = Math.max(1000, (to - from) * 0.05);
    return {from: from - margin, to: to + margin, end};
  }
  const from = fmt.parseTime(resource.first_seen);
  return {from, to: Math.max(end, from + 1000), end};
}

function transitionsTable(items) {
  return widgets.table([
    {title: 'At (UTC)', class: 'nowrap mono', value: (t) => fmt.time(t.at)},
    {title: 'Field', value: (t) => t.field},
    {title: 'From', value: (t) => t.from === null ? '—' : String(t.from)},
    {title: 'To', value: (t) => h('strong', {}, t.to === null ? 'none' :
      String(t.to))},
    {title: 'Event', value: (t) => h('a', {href: route.href(route.path(
      '/notifications', t.message_id))}, t.event_type)},
    {title: 'Host', value: (t) => t.host},
    {title: 'Request', value: (t) => widgets.requestLink(t.request_id)},
  ], items);
}

/** How long an operation took, or for an open one how long it has been
 * open; an open operation whose start was never seen is just "open". */
export function openOrDuration(op) {
  if (op.outcome !== 'open') return fmt.duration(op.duration_us);
  return op.age_us === null || op.age_us === undefined ? 'open' :
    `open for ${fmt.duration(op.age_us)}`;
}

function operationsTable(items) {
  const rows = items.flatMap((op) => op.steps ?
    [op, ...op.steps.map((step) => ({...step, nested: true}))] : [op]);
  return widgets.table([
    {title: 'Operation', value: (op) => h('span',
      {class: op.nested ? 'nested' : null},
      op.nested ? '↳ ' : '', op.operation)},
    {title: 'Started (UTC)', class: 'nowrap mono', value: (op) =>
      fmt.time(op.started_at)},
    {title: 'Duration', class: 'num', value: openOrDuration},
    {title: 'Outcome', value: (op) => widgets.outcome(op.outcome)},
    {title: 'Host', value: (op) => op.host},
    {title: 'Request', value: (op) => widgets.requestLink(op.request_id)},
  ], rows);
}

function faultsTable(items) {
  return widgets.table([
    {title: 'At (UTC)', class: 'nowrap mono', value: (f) =>
      fmt.time(f.generated_at)},
    {title: 'Exception', value: (f) => h('a', {href: route.href(
      route.path('/errors', f.fingerprint))}, h('strong', {},
      f.exception || '—'))},
    {title: 'Message', class: 'wrap', value: (f) => f.message},
    {title: 'Operation', value: (f) => f.operation},
    {title: 'Host', value: (f) => f.host},
    {title: 'Request', value: (f) => widgets.requestLink(f.request_id)},
  ], items, () => ({class: 'fault-row'}));
}

function timeInStates(totals) {
  const entries = Object.entries(totals || {}).sort((a, b) => b[1] - a[1]);
  if (!entries.length) return widgets.empty('No task state recorded.');
  const longest = entries[0][1] || 1;
  return widgets.table([
    {title: 'Task state', value: ([name]) => name},
    {title: 'Time', class: 'num', value: ([name, us]) => {
      const bar = h('span', {class: 'minibar'});
      bar.style.width = `${Math.max(2, (us / longest) * 100)}%`;
      bar.style.background = colors.taskState(name);
      return h('span', {class: 'minibar-cell'},
        h('span', {class: 'minibar-track'}, bar), fmt.duration(us));
    }},
  ], entries);
}

export function render(container, current) {
  const id = current.ids[0];
  const zoom = current.params.get('zoom');
  replace(container, widgets.title('Resource'), widgets.loading());
  api.get(route.path('/v1/resources', id)).then((resource) => {
    const stuck = stuckIn(resource);
    const range = rangeOf(resource, zoom, stuck);
    const faults = resource.faults || [];
    replace(container,
      widgets.title(`${resource.resource_type || 'Resource'} ` +
        fmt.shortId(resource.resource_id, 13),
      stuck ? widgets.badge('stuck', 'stuck') : null,
      resource.vm_state === 'error' ? widgets.badge('ERROR', 'error') : null),
      stuck ? h('div', {class: 'stuck-banner', role: 'alert'},
        widgets.badge('stuck', 'stuck'), h('span', {},
          h('strong', {}, `Stuck in ${stuck.operation.operation}`),
          ` for ${fmt.duration(stuck.forMs * 1000)}: task state `,
          h('strong', {}, resource.task_state || 'none'),
          ` unchanged since ${fmt.time(stuck.since, false)} UTC on `,
          `${resource.state_host || stuck.operation.host || '?'}. `,
          h('a', {href: route.href(route.path('/requests',
            stuck.operation.request_id))}, 'Open its request'))) : null,
      faults.length ? h('div', {class: 'stuck-banner', role: 'alert'},
        widgets.badge('failed', 'error'), h('span', {}, h('strong', {},
          faults[faults.length - 1].exception || 'Error'), ': ',
        faults[faults.length - 1].message || '')) : null,
      widgets.section(null, widgets.facts([
        ['Resource id', h('span', {class: 'mono'}, resource.resource_id)],
        ['Project', resource.project_id],
        ['State', [resource.vm_state ? `vm ${resource.vm_state}` : null,
          `task ${resource.task_state || 'none'}`,
          resource.power_state ? `power ${resource.power_state}` : null,
          resource.status ? `status ${resource.status}` : null]
          .filter(Boolean).join(', ')],
        ['First seen', fmt.time(resource.first_seen) + ' UTC'],
        ['Last seen', fmt.time(resource.last_seen) + ' UTC'],
        ['Notifications', h('a', {href: route.href('/search',
          {resource_id: resource.resource_id})}, 'Search them')],
      ])),
      widgets.section('Timeline', h('div', {class: 'filters'},
        widgets.paramSelect('Show', 'zoom', zoomChoices(resource),
          zoom || '')), gantt(resource, range, stuck)),
      widgets.section('Faults', faults.length ? faultsTable(faults) :
        widgets.empty('No fault recorded.')),
      widgets.section('Operations', (resource.operations || []).length ?
        operationsTable(resource.operations) :
        widgets.empty('No operation recorded.')),
      widgets.section('Time in each task state',
        h('div', {class: 'narrow-table'},
          timeInStates(resource.time_in_task_state))),
      widgets.section('Transitions', (resource.transitions || []).length ?
        transitionsTable(resource.transitions) :
        widgets.empty('No state transition recorded.')));
  }).catch((error) => replace(container, widgets.title('Resource'),
    widgets.errorBox(error, 'resource ' + id)));
}
