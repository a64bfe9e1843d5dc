// The StackTach web UI: a hash router over views, each a module with
// render(container, route) that may return a function to stop it (timers).

import {h, replace} from './lib/dom.js';
import * as api from './lib/api.js';
import * as auth from './lib/auth.js';
import * as route from './lib/route.js';
import * as widgets from './lib/widgets.js';

// [path pattern, view module, nav section]
const ROUTES = [
  [['feed'], './views/feed.js', 'feed'],
  [['search'], './views/search.js', 'search'],
  [['notifications', ':id'], './views/notification.js', 'search'],
  [['requests'], './views/requests.js', 'requests'],
  [['requests', ':id'], './views/trace.js', 'requests'],
  [['resources'], './views/resources.js', 'resources'],
  [['resources', ':id'], './views/resource.js', 'resources'],
  [['timings'], './views/timings.js', 'timings'],
  [['errors'], './views/errors.js', 'errors'],
  [['errors', ':id'], './views/error.js', 'errors'],
  [['usage'], './views/usage.js', 'usage'],
  [['verifications'], './views/verifications.js', 'verifications'],
  [['overview'], './views/overview.js', 'overview'],
  [['login'], './views/login.js', 'login'],
];

const NAV = [
  ['feed', 'Live feed'], ['search', 'Search'], ['requests', 'Requests'],
  ['resources', 'Resources'], ['timings', 'Timings'], ['errors', 'Errors'],
  ['usage', 'Usage'], ['verifications', 'Verifications'],
  ['overview', 'Hosts & services'],
];

const container = document.getElementById('view');
let stopCurrent = null;
let renderCount = 0;

function match(segments) {
  for (const [pattern, module, section] of ROUTES) {
    if (pattern.length !== segments.length) continue;
    const ids = [];
    const ok = pattern.every((part, i) => {
      if (part.startsWith(':')) {
        ids.push(segments[i]);
        return true;
      }
      return part === segments[i];
    });
    if (ok) return {module, section, ids};
  }
  return null;
}

function renderNav(section) {
  replace(document.getElementById('nav'), NAV.map(([name, text]) =>
    h('a', {href: '#/' + name, class: name === section ? 'active' : null,
      'aria-current': name === section ? 'page' : null}, text)));
}

async function renderSession() {
  const node = document.getElementById('session');
  const settings = await api.uiSettings();
  const token = auth.current();
  if (token) {
    const who = [token.user && token.user.name,
      token.project && token.project.name].filter(Boolean).join(' @ ');
    const scope = auth.mayListAllProjects() ? h('label', {class: 'scope',
      title: 'Show the data of every project (all_projects)'},
    h('input', {type: 'checkbox', checked: auth.allProjects(),
      onchange: (event) => {
        auth.setAllProjects(event.target.checked);
        render();
      }}), 'All projects') : null;
    replace(node, scope, h('span', {class: 'who', title: 'Logged in'},
      who || 'token'), h('button', {type: 'button', class: 'link',
      onclick: () => {
        auth.forget();
        route.go('/login');
      }}, 'Log out'));
  } else if (settings.auth_strategy === 'noauth') {
    replace(node, h('span', {class: 'who',
      title: 'The API runs with auth_strategy = noauth'}, 'no authentication'));
  } else {
    replace(node, h('a', {href: '#/login'}, 'Log in'));
  }
}

async function render() {
  const current = route.current();
  if (!current.segments.length) {
    route.go('/feed');
    return;
  }
  const found = match(current.segments);
  if (stopCurrent) {
    stopCurrent();
    stopCurrent = null;
  }
  const count = ++renderCount;
  renderNav(found ? found.section : null);
  renderSession();
  if (!found) {
    replace(container, widgets.title('Not found'),
      widgets.empty('There is no view at this address.'));
    return;
  }
  const settings = await api.uiSettings();
  if (found.section !== 'login' && settings.auth_strategy === 'keystone' &&
      !auth.current()) {
    route.go('/login', {next: window.location.hash});
    return;
  }
  replace(container, widgets.loading());
  try {
    const view = await import(found.module);
    if (count !== renderCount) return;
    const stop = view.render(container, {...current, ids: found.ids});
    stopCurrent = typeof stop === 'function' ? stop : null;
  } catch (error) {
    replace(container, widgets.errorBox(error, 'this view'));
  }
  document.title = `StackTach · ${found.section}`;
}

api.onUnauthorized(() => {
  if (route.current().segments[0] !== 'login') {
    route.go('/login', {next: window.location.hash,
      reason: 'expired'});
  }
});

window.addEventListener('hashchange', render);
render();
