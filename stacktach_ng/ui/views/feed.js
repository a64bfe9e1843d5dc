// Live feed: the newest notifications, refreshed every few seconds,
// with filters, pause, and rows that open to the pretty JSON.

import {h, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as fmt from '../lib/format.js';
import * as notifications from '../lib/notifications.js';
import * as widgets from '../lib/widgets.js';

const INTERVAL_MS = 3000;
const PAGE = 50;
// Rows kept on screen; the oldest go when new ones arrive.
const MAX_ROWS = 500;

export function render(container, route) {
  const filters = notifications.filtersOf(route.params);
  let paused = route.params.get('paused') === '1';
  let timer = null;
  let stopped = false;
  let busy = false;
  const seen = new Set();
  let older = null;

  const status = h('span', {class: 'live-status', role: 'status'});
  const pauseButton = h('button', {type: 'button', class: 'button',
    onclick: () => {
      paused = !paused;
      update();
      if (!paused) poll();
    }});
  const table = notifications.notificationTable();
  const body = h('div', {}, widgets.loading());
  const more = h('div', {class: 'more'});

  function update() {
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    pauseButton.setAttribute('aria-pressed', String(paused));
    status.classList.toggle('paused', paused);
    if (paused) status.textContent = 'Paused';
  }

  function setStatus(text) {
    status.textContent = paused ? 'Paused' : text;
  }

  function trim() {
    const rows = table.tbody.querySelectorAll('tr.notification');
    for (let i = MAX_ROWS; i < rows.length; i++) {
      const next = rows[i].nextElementSibling;
      if (next && next.classList.contains('detail')) next.remove();
      rows[i].remove();
    }
  }

  async function poll() {
    if (stopped || busy) return;
    busy = true;
    try {
      const {items, next} = await api.page('/v1/notifications',
        'notifications', {...filters, limit: PAGE});
      if (stopped) return;
      const fresh = items.filter((item) => !seen.has(item.message_id));
      fresh.forEach((item) => seen.add(item.message_id));
      if (older === null) {
        older = next || '';
        replace(body, table.node);
        notifications.addRows(table.tbody, fresh, {viewPath: '/feed'});
        renderMore();
      } else if (fresh.length) {
        notifications.addRows(table.tbody, fresh,
          {prepend: true, viewPath: '/feed'});
        trim();
      }
      if (!seen.size) {
        replace(body, widgets.empty(Object.keys(filters).length ?
          'No notification matches these filters yet; new ones appear ' +
          'here as they arrive.' :
          'No notification has been received yet; they appear here as ' +
          'they arrive.'));
        older = null;
      }
      setStatus(`Live · checked at ${fmt.clock(Date.now())} UTC`);
    } catch (error) {
      if (older === null) replace(body, widgets.errorBox(error,
        'the notifications'));
      setStatus('Not updating: ' + error.message);
    } finally {
      busy = false;
    }
  }

  function renderMore() {
    more.replaceChildren();
    if (!older) return;
    more.append(h('button', {type: 'button', class: 'button',
      onclick: async (event) => {
        event.target.disabled = true;
        try {
          const {items, next} = await api.page(older, 'notifications');
          const fresh = items.filter((i) => !seen.has(i.message_id));
          fresh.forEach((i) => seen.add(i.message_id));
          notifications.addRows(table.tbody, fresh, {viewPath: '/feed'});
          older = next || '';
          renderMore();
        } catch (error) {
          more.replaceChildren(widgets.errorBox(error, 'older ' +
            'notifications'));
        }
      }}, 'Load older'));
  }

  function tick() {
    if (!paused && !document.hidden) poll();
  }

  update();
  replace(container,
    widgets.title('Live feed', h('div', {class: 'title-tools'}, status,
      pauseButton)),
    notifications.filterBar(filters),
    h('p', {class: 'hint'}, 'Newest first, refreshed every ',
      INTERVAL_MS / 1000, ' seconds. Click a value to filter by it; open a ',
      'row to read the notification.'),
    body, more);
  poll();
  timer = setInterval(tick, INTERVAL_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
