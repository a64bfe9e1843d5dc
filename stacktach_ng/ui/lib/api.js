// Calls to the REST API, relative to where the UI is served (the API
// root is the parent of /ui/, which keeps working behind a proxy that
// mounts the whole service under a prefix).

import * as auth from './auth.js';

export const ROOT = new URL('../', window.location.href.split('#')[0]);

/** An API failure, with a message meant for the user. */
export class ApiError extends Error {
  constructor(message, status, parameter) {
    super(message);
    this.status = status;
    this.parameter = parameter || null;
  }
}

/** The absolute URL of an API path with query parameters. */
export function url(path, params) {
  const target = new URL(path.replace(/^\//, ''), ROOT);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== '') {
      target.searchParams.set(name, value);
    }
  }
  return target.toString();
}

let unauthorizedHandler = () => {};

/** Called with the error when the API answers 401 (token gone). */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

async function request(target, options) {
  const headers = {Accept: 'application/json'};
  const token = auth.current();
  if (token) headers['X-Auth-Token'] = token.id;
  let response;
  try {
    response = await fetch(target, {
      ...options, headers: {...headers, ...(options.headers || {})},
    });
  } catch (error) {
    throw new ApiError(
      'The API could not be reached. Check that the service is running ' +
      'and that this computer can reach it.', 0);
  }
  let body = null;
  const text = await response.text();
  if (text) {
    try {
      body = JSON.parse(text);
    } catch (error) {
      body = null;
    }
  }
  if (!response.ok) {
    const detail = body && body.error ? body.error : {};
    let message = detail.message || response.statusText ||
      'The request failed.';
    if (response.status === 401 && token) {
      message = 'Your session has expired or the token was refused: ' +
        'please log in again.';
    } else if (response.status === 403) {
      message = 'You are not allowed to see this: ' + message;
    } else if (response.status >= 500) {
      message = 'The server failed (' + response.status + '): ' + message;
    }
    const error = new ApiError(message, response.status, detail.parameter);
    if (response.status === 401 && token) {
      auth.forget();
      unauthorizedHandler(error);
    }
    throw error;
  }
  if (body === null && text) {
    throw new ApiError('The API sent something that is not JSON.',
      response.status);
  }
  return body;
}

// The lists that take all_projects (an admin's "All projects" switch).
const SCOPED = new Set(['/v1/notifications', '/v1/event_types',
  '/v1/hosts', '/v1/services', '/v1/requests', '/v1/resources',
  '/v1/timings', '/v1/timings/summary', '/v1/errors', '/v1/summary']);

/** GET an API path (or an absolute "next" link) and return its JSON. */
export function get(path, params) {
  if (SCOPED.has(path) && auth.allProjects()) {
    params = {...params, all_projects: 'true'};
  }
  const target = /^https?:/.test(path) ? path : url(path, params);
  return request(target, {method: 'GET'});
}

/** POST a JSON body. */
export function post(path, body) {
  return request(url(path), {
    method: 'POST', body: JSON.stringify(body),
    headers: {'Content-Type': 'application/json'},
  });
}

/**
 * One page of a list: {items, next}. Understands the API's list shape
 * ({<key>: [...], next: url}) and the usage lists' ({items, next_marker}).
 */
export async function page(path, key, params) {
  const body = await get(path, params);
  const items = body[key] || body.items || [];
  let next = body.next || null;
  if (!next && body.next_marker) {
    next = url(path, {...params, marker: body.next_marker});
  }
  return {items, next, body};
}

let description = null;

/** The API's OpenAPI document (cached; public, no token needed). */
export async function openapi() {
  if (!description) {
    // Accept anything: the document is JSON whatever is asked, and a
    // stricter Accept header is refused by some versions of the API.
    description = request(url('/v1/openapi.json'), {method: 'GET',
      headers: {Accept: '*/*'}}).catch((error) => {
      description = null;
      throw error;
    });
  }
  return description;
}

/** Whether the API serves a path (as listed in its OpenAPI document). */
export async function serves(path) {
  const doc = await openapi();
  return Boolean(doc && doc.paths && doc.paths[path]);
}

let settings = null;

/** The UI settings the server publishes ({auth_strategy}). */
export async function uiSettings() {
  if (!settings) {
    settings = get('/ui/settings.json').catch(() => ({}));
  }
  return settings;
}
