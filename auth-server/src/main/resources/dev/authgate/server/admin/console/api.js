// The admin API as the console calls it: its session cookie goes along by itself; every change
// also carries the session's CSRF token, which only this page can read.
let csrf = null;

export class ApiError extends Error {
  constructor(status, error, message) {
    super(message || error || ('HTTP ' + status));
    this.status = status;
    this.error = error;
  }
}

export async function api(method, path, body) {
  const headers = {};
  if (method !== 'GET' && csrf) {
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
  try {
    const me = await api('GET', '/api/session');
    csrf = me.csrf;
    return me;
  } catch (e) {
    if (e.status === 401) {
      return null;
    }
    throw e;
  }
}

export async function login(token) {
  const me = await api('POST', '/api/session', { token });
  csrf = me.csrf;
  return me;
}

export async function logout() {
  try {
    await api('DELETE', '/api/session');
  } finally {
    csrf = null;
  }
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
