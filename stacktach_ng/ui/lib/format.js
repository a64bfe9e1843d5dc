// Formatting of times, durations and numbers. Every time is shown in UTC,
// as the API stores and filters them.

/** Milliseconds since the epoch of an API time ('...Z' or zoneless UTC). */
export function parseTime(value) {
  if (!value) return null;
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : value + 'Z';
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** Microseconds since the epoch (keeps the API's precision). */
export function parseTimeUs(value) {
  const ms = parseTime(value);
  if (ms === null) return null;
  const fraction = /\.(\d+)/.exec(value);
  const micros = fraction ? Number((fraction[1] + '000000').slice(3, 6)) : 0;
  return ms * 1000 + micros;
}

function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}

/** 2026-01-31 12:00:01.234 (UTC). */
export function time(value, withMs = true) {
  const ms = typeof value === 'number' ? value : parseTime(value);
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  const text = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-` +
    `${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:` +
    `${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return withMs ? `${text}.${pad(d.getUTCMilliseconds(), 3)}` : text;
}

/** 12:00:01.234 (UTC). */
export function clock(value) {
  const text = time(value);
  return text === '—' ? text : text.slice(11);
}

/** A duration in microseconds, in the unit that reads best. */
export function duration(us) {
  if (us === null || us === undefined) return '—';
  if (us === 0) return '0';
  const abs = Math.abs(us);
  if (abs < 1000) return `${Math.round(us)} µs`;
  if (abs < 1000000) return `${(us / 1000).toFixed(abs < 10000 ? 1 : 0)} ms`;
  const seconds = us / 1000000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** 1,234,567 */
export function number(value, digits = 0) {
  if (value === null || value === undefined) return '—';
  return Number(value).toLocaleString('en-US', {
    maximumFractionDigits: digits, minimumFractionDigits: digits,
  });
}

/** 12.3 % */
export function percent(ratio) {
  if (ratio === null || ratio === undefined) return '—';
  return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.001 ? 2 : 1)} %`;
}

/** The first characters of a long id (the full id goes in a title). */
export function shortId(value, length = 8) {
  if (!value) return '—';
  const text = String(value);
  const body = text.startsWith('req-') ? text.slice(4) : text;
  return body.length > length ? body.slice(0, length) + '…' : text;
}

/** An ISO time for the API from a datetime-local input (read as UTC). */
export function inputToIso(value) {
  if (!value) return null;
  return value.length === 16 ? value + ':00' : value;
}

/** A datetime-local input value (UTC) from milliseconds. */
export function msToInput(ms) {
  return time(ms, false).replace(' ', 'T').slice(0, 16);
}
