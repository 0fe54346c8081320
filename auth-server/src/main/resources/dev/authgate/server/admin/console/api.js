// The admin API as the console calls it: its session cookie goes along by itself, and every
// request also carries the session's CSRF token. The token is kept in this origin's session
// storage, which a page on another port of this host cannot read (the cookie, browsers send to
// every port), so a reload keeps the session and a new tab logs in again.
const KEY = 'authgate-console-csrf';
let csrf = sessionStorage.getItem(KEY);

function remember(token) {
  csrf = token;
  if (token) {
    sessionStorage.setItem(KEY, token);
  } else {
    sessionStorage.removeItem(KEY);
  }
}

export class ApiError extends Error {
  constructor(status, error, message) {
    super(message || error || ('HTTP ' + status));
    this.status = status;
    this.error = error;
  }
}

export async function api(method, path, body) {
  const headers = {};
  if (csrf) {
    headers['X-CSRF-Token'] = csrf;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json = null;
  try {
    json = await response.json();
  } catch (e) {
    throw new ApiError(response.status, 'not-json', 'the server answered HTTP ' + response.status);
  }
  if (!response.ok) {
    throw new ApiError(response.status, json && json.error, json && json.message);
  }
  return json;
}

/** Who is logged in (and this session's CSRF token), or null. */
export async function current() {
  if (!csrf) {
    return null;
  }
  try {
    return await api('GET', '/api/session');
  } catch (e) {
    if (e.status === 401) {
      remember(null);
      return null;
    }
    throw e;
  }
}

export async function login(token) {
  const me = await api('POST', '/api/session', { token });
  remember(me.csrf);
  return me;
}

export async function logout() {
  try {
    await api('DELETE', '/api/session');
  } finally {
    remember(null);
  }
}

/** The live tail's address: an EventSource cannot send a header, so its CSRF token rides along. */
export function streamUrl(path, params) {
  return path + query({ ...params, csrf });
}

/** Query string of the non-empty values of {@code params}. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && String(v).trim() !== '') {
      q.set(k, String(v).trim());
    }
  }
  const s = q.toString();
  return s ? '?' + s : '';
}
