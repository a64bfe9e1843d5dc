// The user's token, kept in session storage only: it is gone when the
// tab closes and is never written to local storage or a cookie.

const KEY = 'stacktach-ng.token';

/** The stored token document ({id, expires_at, user, project}) or null. */
export function current() {
  let token = null;
  try {
    token = JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch (error) {
    token = null;
  }
  if (!token || !token.id) return null;
  if (token.expires_at && Date.parse(token.expires_at) <= Date.now()) {
    forget();
    return null;
  }
  return token;
}

export function remember(token) {
  sessionStorage.setItem(KEY, JSON.stringify(token));
}

/** Whether an admin asked to see every project (all_projects). */
export function allProjects() {
  const token = current();
  return Boolean(token && token.all_projects);
}

export function setAllProjects(value) {
  const token = current();
  if (token) remember({...token, all_projects: Boolean(value)});
}

/**
 * Whether to offer the "All projects" switch: the token carries the
 * admin role, or its roles are unknown (a pasted token; the API answers
 * 403 in words if it may not).
 */
export function mayListAllProjects() {
  const token = current();
  return Boolean(token && (!token.roles || token.roles.includes('admin')));
}

export function forget() {
  sessionStorage.removeItem(KEY);
}
