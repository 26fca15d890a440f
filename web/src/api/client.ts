/** The one way the UI talks to the API: our public /api/image-builder/v1, with the configured credentials. */
import { loadRuntimeConfig, type AuthSettings, type RuntimeConfig } from './runtime-config.ts';
import { readStoredToken } from './oidc.ts';

export interface ApiProblem {
  title: string;
  detail: string;
}

/** A refused request: the API's errors, and the field each names (e.g. `customizations.files[0].path`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problems: ApiProblem[],
  ) {
    super(problems.map((p) => p.detail || p.title).join('; ') || `the API answered ${status}`);
  }

  /** Problems whose detail starts with a field path ("field: message"), keyed by that path. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const p of this.problems) {
      const match = /^([A-Za-z_][\w.[\]-]*): (.+)$/s.exec(p.detail);
      if (match) out[match[1]] = match[2];
    }
    return out;
  }
}

export interface ApiClient {
  readonly apiBase: string;
  get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** For downloads that need credentials (the SBOM): the response body as a Blob. */
  blob(path: string): Promise<Blob>;
}

function authHeaders(auth: AuthSettings): Record<string, string> {
  if (auth.mode === 'header') return { 'x-org-id': auth.org };
  if (auth.mode === 'local') return { authorization: `Bearer ${auth.token}` };
  const token = readStoredToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function problemsOf(response: Response): Promise<ApiProblem[]> {
  try {
    const body = (await response.json()) as { errors?: ApiProblem[]; message?: string };
    if (Array.isArray(body.errors)) return body.errors;
    if (body.message) return [{ title: response.statusText, detail: body.message }];
  } catch {
    // not JSON
  }
  return [{ title: response.statusText || 'Error', detail: `the API answered ${response.status}` }];
}

/**
 * A client for the configured API. A 401 with a locally minted token (they expire) fetches a fresh one from
 * /config.json and retries once; with OIDC it calls `onUnauthorized` (sign in again).
 */
export function createApiClient(config: RuntimeConfig, onUnauthorized: () => void = () => {}, fetchImpl: typeof fetch = (...a) => fetch(...a)): ApiClient {
  let auth = config.auth;
  const call = async (method: string, path: string, body?: unknown, retried = false): Promise<Response> => {
    const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(auth) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetchImpl(`${config.apiBase}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (response.status === 401 && auth.mode === 'local' && !retried) {
      auth = (await loadRuntimeConfig(fetchImpl)).auth;
      return call(method, path, body, true);
    }
    if (response.status === 401) onUnauthorized();
    if (!response.ok) throw new ApiError(response.status, await problemsOf(response));
    return response;
  };
  return {
    apiBase: config.apiBase,
    async get<T>(path: string, query?: Record<string, string | number | undefined>) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
      const qs = params.toString();
      return (await (await call('GET', qs ? `${path}?${qs}` : path)).json()) as T;
    },
    async send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) {
      const response = await call(method, path, body);
      const text = await response.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async blob(path: string) {
      return (await call('GET', path)).blob();
    },
  };
}

/** Saves a Blob or JSON value as a file through a temporary link. */
export function saveFile(name: string, content: Blob | string, type = 'application/json'): void {
  const blob = typeof content === 'string' ? new Blob([content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
