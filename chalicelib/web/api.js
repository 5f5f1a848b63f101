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

/** Where each role works: the dashboard for an advisor membership, the portal for a client one. */
export const PAGES = { advisor: 'advisor', client: './' };

/** The login's session, shared by the dashboard, the portal and the activation page of this tab. */
const SESSION_KEY = 'login.session';

/**
 * The session store and a request function that signs its calls with the stored token and names
 * the chosen firm (`X-Firm`). A session is {token, expires_at, memberships, firm}: `firm` is the
 * tenant id of the membership chosen, null until a person with several has chosen one.
 */
export function createApi({ onSignedOut } = {}) {
  const session = {
    get() {
      try {
        const value = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
        if (value && value.token && value.expires_at > Date.now() && Array.isArray(value.memberships)) return value;
      } catch { /* a damaged entry counts as no session */ }
      sessionStorage.removeItem(SESSION_KEY);
      return null;
    },
    set(login) {
      const memberships = Array.isArray(login.memberships) && login.memberships.length
        ? login.memberships : [{ tenant_id: login.tenant_id, role: login.role, firm: '' }];
      const value = {
        token: login.token, memberships, firm: memberships.length === 1 ? memberships[0].tenant_id : null,
        expires_at: Date.now() + (login.expires_in || 3600) * 1000,
      };
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
    },
    /** The membership chosen, or null while none is. */
    membership() {
      const current = session.get();
      return current?.memberships.find((m) => m.tenant_id === current.firm) || null;
    },
    /** Act as the membership of `tenantId` from now on (one of the session's own). */
    choose(tenantId) {
      const current = session.get();
      if (!current || !current.memberships.some((m) => m.tenant_id === tenantId)) return null;
      sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...current, firm: tenantId }));
      return session.membership();
    },
    /** The memberships after a change (an accepted invitation); the choice is kept if still valid. */
    setMemberships(memberships) {
      const current = session.get();
      if (!current) return;
      const firm = memberships.some((m) => m.tenant_id === current.firm) ? current.firm : null;
      sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...current, memberships, firm }));
    },
    clear() {
      sessionStorage.removeItem(SESSION_KEY);
    },
  };

  async function request(method, path, { body, headers = {}, signedIn = true, as = 'json' } = {}) {
    const sent = { Accept: 'application/json', 'Accept-Language': getLanguage(), ...headers };
    if (body !== undefined) sent['Content-Type'] = 'application/json';
    const current = session.get();
    if (signedIn && current) {
      sent.Authorization = `Bearer ${current.token}`;
      if (current.firm) sent['X-Firm'] = current.firm;
    }
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
    // A file (`as: 'blob'`, with an Accept header naming its type) comes back as a Blob; an error is
    // problem+json all the same.
    if (response.ok && as === 'blob') return response.blob();
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
    get: (path, options = {}) => request('GET', path, options),
    post: (path, body = {}, options = {}) => request('POST', path, { body, ...options }),
    patch: (path, body) => request('PATCH', path, { body }),
    login: (email, password) => request('POST', '/auth/login', { body: { email, password }, signedIn: false }),
    /** End the login on the server (every token of it is refused from now on), then here. */
    async logout() {
      try {
        if (session.get()) await request('POST', '/auth/logout', { body: {} });
      } catch { /* gone or unreachable: the local session ends all the same */ }
      session.clear();
    },
    request,
  };
}

/** The bytes of a file at a presigned storage URL (no token, no cookie: the URL is the permission). */
export async function fileBytes(url) {
  let response;
  try {
    response = await fetch(url, { credentials: 'omit', cache: 'no-store', redirect: 'error' });
  } catch {
    throw new ApiError(0, {});
  }
  if (!response.ok) throw new ApiError(response.status, {});
  return response.arrayBuffer();
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
