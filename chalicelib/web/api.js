// The API client of the pages: same origin, JSON in and out, problem+json errors as ApiError.
// The login token lives in sessionStorage only (gone when the tab closes), never in a URL.

import { getLanguage } from './i18n.js';

export class ApiError extends Error {
  constructor(status, problem = {}) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.code = problem.code || (status === 0 ? 'network_error' : 'internal_error');
  }

  /** [{field, message}] of a validation_error, else []. */
  get fieldErrors() {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

/** A session store under `key` and a request function that signs its calls with the stored token. */
export function createApi({ key, onSignedOut }) {
  const session = {
    get() {
      try {
        const value = JSON.parse(sessionStorage.getItem(key) || 'null');
        if (value && value.token && value.expires_at > Date.now()) return value;
      } catch { /* a damaged entry counts as no session */ }
      sessionStorage.removeItem(key);
      return null;
    },
    set(login) {
      const value = { token: login.token, role: login.role, expires_at: Date.now() + (login.expires_in || 3600) * 1000 };
      sessionStorage.setItem(key, JSON.stringify(value));
    },
    clear() {
      sessionStorage.removeItem(key);
    },
  };

  async function request(method, path, { body, headers = {}, signedIn = true } = {}) {
    const sent = { Accept: 'application/json', 'Accept-Language': getLanguage(), ...headers };
    if (body !== undefined) sent['Content-Type'] = 'application/json';
    const current = session.get();
    if (signedIn && current) sent.Authorization = `Bearer ${current.token}`;
    let response;
    try {
      // Relative to the page, so the pages also work behind a stage prefix (/api/...).
      response = await fetch(path.replace(/^\//, ''), {
        method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit', cache: 'no-store', redirect: 'error',
      });
    } catch {
      throw new ApiError(0, {});
    }
    const data = await readJson(response);
    if (!response.ok) {
      const problem = data && typeof data === 'object' ? { ...data } : {};
      const retryAfter = Number(response.headers.get('Retry-After'));
      if (retryAfter > 0 && !problem.retry_after) problem.retry_after = retryAfter;
      const error = new ApiError(response.status, problem);
      if (response.status === 401 && signedIn && current) {
        session.clear();
        onSignedOut?.('expired');
      }
      throw error;
    }
    return data;
  }

  return {
    session,
    get: (path) => request('GET', path),
    post: (path, body = {}, options = {}) => request('POST', path, { body, ...options }),
    patch: (path, body) => request('PATCH', path, { body }),
    login: async (email, password) => {
      const answer = await request('POST', '/auth/login', { body: { email, password }, signedIn: false });
      return answer;
    },
    request,
  };
}

async function readJson(response) {
  const type = response.headers.get('Content-Type') || '';
  if (!type.includes('json')) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}
