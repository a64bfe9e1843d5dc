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

export function forget() {
  sessionStorage.removeItem(KEY);
}
