// Small SVG charts (no library): a line chart of series over time, a
// histogram and vertical bars. They scale to their container's width.

import {h, s} from './dom.js';
import * as fmt from './format.js';

const DEFAULT_WIDTH = 760;

/** The drawing width for a container (its width on screen). */
export function widthOf(node) {
  return Math.max(320, Math.round(node && node.clientWidth ? node.clientWidth :
    DEFAULT_WIDTH));
}

function niceTicks(max, count = 4) {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power)
    .find((candidate) => candidate >= raw) || raw;
  const ticks = [];
  for (let v = 0; v <= max + step * 0.001; v += step) ticks.push(v);
  if (ticks[ticks.length - 1] < max) ticks.push(ticks.length * step);
  return ticks;
}

/**
 * Labels of time ticks spanning `span` ms: the clock for a day or less
 * (seconds when minutes would repeat), the date and hour beyond.
 */
export function timeTickLabel(ms, span, count) {
  const text = fmt.time(ms, false);
  if (span > 2 * 86400000) return text.slice(5, 13) + 'h';
  if (span / count < 60000) return text.slice(11, 19);
  return text.slice(11, 16);
}

/**
 * Lines over time. series: [{name, color, points: [[ms, value|null]]}];
 * format(value) labels the y axis; domain: [from, to] in ms, the period
 * the x axis covers (by default the span of the points).
 */
export function lineChart(series, {height = 240, format = String,
  label = '', width = DEFAULT_WIDTH, domain = null} = {}) {
  const WIDTH = width;
  const pad = {left: 70, right: 14, top: 12, bottom: 28};
  const all = series.flatMap((one) => one.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]).filter((v) => v !== null);
  const svg = s('svg', {class: 'chart', viewBox: `0 0 ${WIDTH} ${height}`,
    role: 'img', 'aria-label': label});
  if (!xs.length || !ys.length) return svg;
  // The axis is the period asked for, so one bucket sits where it
  // belongs in it; without a period, the span of the points.
  const x0 = domain ? domain[0] : Math.min(...xs);
  const x1 = domain ? Math.max(domain[1], x0 + 1) : Math.max(...xs, x0 + 1);
  const ticks = niceTicks(Math.max(...ys));
  const yMax = ticks[ticks.length - 1] || 1;
  const plotW = WIDTH - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const X = (v) => pad.left + ((v - x0) / (x1 - x0)) * plotW;
  const Y = (v) => pad.top + plotH - (v / yMax) * plotH;
  for (const t of ticks) {
    svg.append(s('line', {x1: pad.left, x2: WIDTH - pad.right, y1: Y(t),
      y2: Y(t), class: 'gridline'}));
    svg.append(s('text', {x: pad.left - 6, y: Y(t) + 4,
      'text-anchor': 'end'}, format(t)));
  }
  const xTicks = WIDTH < 500 ? 3 : 5;
  for (let i = 0; i <= xTicks; i++) {
    const v = x0 + ((x1 - x0) * i) / xTicks;
    svg.append(s('text', {x: X(v), y: height - 8, class: 'x-tick',
      'text-anchor': i === 0 ? 'start' : (i === xTicks ? 'end' : 'middle')},
    timeTickLabel(v, x1 - x0, xTicks)));
  }
  svg.append(s('line', {x1: pad.left, x2: pad.left, y1: pad.top,
    y2: pad.top + plotH, class: 'axis-line'}));
  for (const one of series) {
    let d = '';
    let pen = false;
    for (const [x, y] of one.points) {
      if (y === null) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)} `;
      pen = true;
    }
    svg.append(s('path', {d, class: 'series', stroke: one.color},
      s('title', {}, one.name)));
    for (const [x, y] of one.points) {
      if (y === null) continue;
      svg.append(s('circle', {cx: X(x), cy: Y(y), r: 2.5, fill: one.color},
        s('title', {}, `${one.name} ${fmt.time(x, false)}: ${format(y)}`)));
    }
  }
  return svg;
}

export function legend(series) {
  return h('div', {class: 'chart-legend'}, series.map((one) => {
    const swatch = h('span', {class: 'swatch'});
    swatch.style.background = one.color;
    return h('span', {}, swatch, one.name);
  }));
}

/**
 * A histogram of durations (µs) on a logarithmic scale: each bar counts
 * the values in a bucket [a, 2a). errors: the values that failed.
 */
export function histogram(values, errors = [], {height = 220,
  width = DEFAULT_WIDTH} = {}) {
  const WIDTH = width;
  const pad = {left: 44, right: 10, top: 10, bottom: 30};
  const svg = s('svg', {class: 'chart', viewBox: `0 0 ${WIDTH} ${height}`,
    role: 'img', 'aria-label': 'Distribution of the durations'});
  const all = values.concat(errors).filter((v) => v > 0);
  if (!all.length) return svg;
  const low = Math.log(Math.min(...all));
  const high = Math.log(Math.max(...all)) + 1e-9;
  const count = Math.max(6, Math.min(18, Math.ceil((high - low) /
    Math.log(1.25))));
  const step = Math.max((high - low) / count, 1e-9);
  const bins = [];
  for (let i = 0; i < count; i++) {
    bins.push({from: Math.exp(low + i * step),
      to: Math.exp(low + (i + 1) * step), ok: 0, bad: 0});
  }
  const put = (v, key) => {
    const index = Math.min(bins.length - 1,
      Math.max(0, Math.floor((Math.log(v) - low) / step)));
    bins[index][key]++;
  };
  values.filter((v) => v > 0).forEach((v) => put(v, 'ok'));
  errors.filter((v) => v > 0).forEach((v) => put(v, 'bad'));
  const ticks = niceTicks(Math.max(...bins.map((b) => b.ok + b.bad)), 3);
  const yMax = ticks[ticks.length - 1] || 1;
  const plotW = WIDTH - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const barW = plotW / bins.length;
  const Y = (v) => pad.top + plotH - (v / yMax) * plotH;
  for (const t of ticks) {
    svg.append(s('line', {x1: pad.left, x2: WIDTH - pad.right, y1: Y(t),
      y2: Y(t), class: 'gridline'}));
    svg.append(s('text', {x: pad.left - 6, y: Y(t) + 4,
      'text-anchor': 'end'}, fmt.number(t)));
  }
  const every = Math.ceil(bins.length /
    Math.max(2, Math.floor(WIDTH / 110)));
  bins.forEach((bin, i) => {
    const x = pad.left + i * barW;
    const title = `${fmt.duration(bin.from)} – ${fmt.duration(bin.to)}` +
      `: ${bin.ok + bin.bad} (${bin.bad} failed)`;
    if (bin.ok) {
      svg.append(s('rect', {x: x + 1, width: Math.max(1, barW - 2),
        y: Y(bin.ok + bin.bad), height: Y(0) - Y(bin.ok), class: 'hist'},
      s('title', {}, title)));
    }
    if (bin.bad) {
      svg.append(s('rect', {x: x + 1, width: Math.max(1, barW - 2),
        y: Y(bin.bad), height: Y(0) - Y(bin.bad), class: 'hist-error'},
      s('title', {}, title)));
    }
    if (i % every === 0) {
      svg.append(s('text', {x: x + 2, y: height - 10},
        fmt.duration(bin.from)));
    }
  });
  svg.append(s('line', {x1: pad.left, x2: WIDTH - pad.right, y1: Y(0),
    y2: Y(0), class: 'axis-line'}));
  return svg;
}

/** Vertical bars over time: points [[ms, value, bad]]. */
export function barsOverTime(points, {height = 180, label = '',
  width = DEFAULT_WIDTH} = {}) {
  const WIDTH = width;
  const pad = {left: 52, right: 10, top: 10, bottom: 26};
  const svg = s('svg', {class: 'chart', viewBox: `0 0 ${WIDTH} ${height}`,
    role: 'img', 'aria-label': label});
  if (!points.length) return svg;
  const ticks = niceTicks(Math.max(...points.map((p) => p[1])), 3);
  const yMax = ticks[ticks.length - 1] || 1;
  const plotW = WIDTH - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const barW = plotW / points.length;
  const Y = (v) => pad.top + plotH - (v / yMax) * plotH;
  for (const t of ticks) {
    svg.append(s('line', {x1: pad.left, x2: WIDTH - pad.right, y1: Y(t),
      y2: Y(t), class: 'gridline'}));
    svg.append(s('text', {x: pad.left - 6, y: Y(t) + 4,
      'text-anchor': 'end'}, fmt.number(t)));
  }
  const every = Math.ceil(points.length / 8);
  points.forEach(([ms, value, bad], i) => {
    const x = pad.left + i * barW;
    svg.append(s('rect', {x: x + 1, width: Math.max(1, barW - 2),
      y: Y(value), height: Y(0) - Y(value), class: 'hist'},
    s('title', {}, `${fmt.time(ms, false)}: ${fmt.number(value)} ` +
      `(${fmt.number(bad || 0)} errors)`)));
    if (bad) {
      svg.append(s('rect', {x: x + 1, width: Math.max(1, barW - 2),
        y: Y(bad), height: Y(0) - Y(bad), class: 'hist-error'}));
    }
    if (i % every === 0) {
      svg.append(s('text', {x: x + 1, y: height - 8},
        fmt.clock(ms).slice(0, 5)));
    }
  });
  return svg;
}
