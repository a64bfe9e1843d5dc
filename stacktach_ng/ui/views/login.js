// Log in: with a user name, password and project (the API asks Keystone
// for a token), or by pasting a token. The token is kept in session
// storage only.

import {h, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as auth from '../lib/auth.js';
import * as route from '../lib/route.js';
import * as widgets from '../lib/widgets.js';

function field(label, attrs) {
  const input = h('input', attrs);
  return [h('label', {class: 'field'}, h('span', {}, label), input), input];
}

function goNext(params) {
  const next = params.get('next');
  if (next && next.startsWith('#/') && !next.startsWith('#/login')) {
    window.location.hash = next.slice(1);
  } else {
    route.go('/feed');
  }
}

export function render(container, current) {
  const params = current.params;
  const message = h('div', {'aria-live': 'polite'});
  if (params.get('reason') === 'expired') {
    message.append(widgets.errorBox({message: 'Your session has expired ' +
      'or the token was refused: please log in again.'}));
  }
  const [userField, user] = field('User name', {name: 'username',
    autocomplete: 'username', required: true});
  const [passwordField, password] = field('Password', {name: 'password',
    type: 'password', autocomplete: 'current-password', required: true});
  const [projectField, project] = field('Project', {name: 'project_name',
    required: true});
  const [userDomainField, userDomain] = field('User domain',
    {name: 'user_domain_name', value: 'Default'});
  const [projectDomainField, projectDomain] = field('Project domain',
    {name: 'project_domain_name', value: 'Default'});
  const submit = h('button', {class: 'button primary', type: 'submit'},
    'Log in');
  const passwordForm = h('form', {class: 'login-password',
    onsubmit: async (event) => {
      event.preventDefault();
      submit.disabled = true;
      replace(message, widgets.loading('Asking Keystone for a token…'));
      try {
        const body = await api.post('/v1/auth/tokens', {
          username: user.value, password: password.value,
          project_name: project.value, user_domain_name: userDomain.value,
          project_domain_name: projectDomain.value});
        auth.remember(body.token);
        goNext(params);
      } catch (error) {
        replace(message, widgets.errorBox(error));
        password.value = '';
      } finally {
        submit.disabled = false;
      }
    }}, userField, passwordField, projectField,
  h('details', {}, h('summary', {}, 'Domains'), userDomainField,
    projectDomainField), submit);

  const [tokenField, token] = field('Token', {name: 'token',
    autocomplete: 'off', required: true});
  const tokenForm = h('form', {class: 'login-token',
    onsubmit: async (event) => {
      event.preventDefault();
      auth.remember({id: token.value.trim()});
      replace(message, widgets.loading('Checking the token…'));
      try {
        await api.get('/v1/event_types', {limit: 1});
        goNext(params);
      } catch (error) {
        auth.forget();
        replace(message, widgets.errorBox({message: error.status === 401 ?
          'The API refused this token: it is invalid or expired.' :
          error.message}));
      }
    }}, tokenField, h('p', {class: 'hint'}, 'A token from ',
    h('code', {}, 'openstack token issue'), '.'),
  h('button', {class: 'button', type: 'submit'}, 'Use this token'));

  const note = h('div', {});
  replace(container, h('div', {class: 'login'},
    widgets.title('Log in'), message, note,
    widgets.section('With your OpenStack account', passwordForm),
    widgets.section('Or with a token', tokenForm)));
  api.uiSettings().then((settings) => {
    if (settings.auth_strategy === 'noauth') {
      replace(note, h('div', {class: 'state empty'}, 'This API runs ',
        'without authentication (noauth): there is no need to log in. ',
        h('a', {href: '#/feed'}, 'Go to the live feed.')));
    }
  });
  user.focus();
}
