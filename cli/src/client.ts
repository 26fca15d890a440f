/** The HTTP client for the Image Builder API: JSON in and out, the service's error messages kept intact. */
import type { ServiceConfig } from './config.ts';
import { CliError, ServiceError, UnreachableError, type ServiceErrorItem } from './errors.ts';

export type Query = Record<string, string | number | undefined>;

export interface ClientOptions {
  /** Milliseconds before a request counts as unanswered. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const GATEWAY_STATUSES = new Set([502, 503, 504]);

/** Explains a failed fetch (connection refused, DNS, TLS, timeout) in one line. */
export function describeNetworkError(error: unknown): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'no answer before the timeout';
  const cause = err?.cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return 'host name not found';
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return cause?.message ?? err?.message ?? String(error);
}

export class ApiClient {
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(
    readonly config: ServiceConfig,
    options: ClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchFn = options.fetch ?? fetch;
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(`${this.config.apiUrl}${path}`);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, query);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, undefined, body);
  }

  private headers(hasBody: boolean): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (hasBody) headers['content-type'] = 'application/json';
    if (this.config.token) headers.authorization = `Bearer ${this.config.token}`;
    // Only a service started with IBS_INSECURE_ORG_HEADER=1 reads it (when no token is sent).
    if (this.config.org) headers['x-org-id'] = this.config.org;
    return headers;
  }

  async request<T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
    const url = this.url(path, query);
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(url, {
        method,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new UnreachableError(`cannot reach the service at ${this.config.apiUrl}: ${describeNetworkError(error)}`, { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch (error) {
      if (GATEWAY_STATUSES.has(response.status)) throw new UnreachableError(`the service at ${this.config.apiUrl} is unavailable (HTTP ${response.status})`);
      throw new CliError(`${method} ${url} answered HTTP ${response.status} with a body that is not JSON (is ${this.config.apiUrl} an ibs service?)`, undefined, {
        cause: error,
      });
    }
    if (response.ok) return parsed as T;
    const errors = errorItems(parsed) ?? [{ title: `HTTP ${response.status}`, detail: response.statusText }];
    if (GATEWAY_STATUSES.has(response.status)) {
      // A gateway or an unready service: the service is not there to do the work, whatever it says.
      throw new UnreachableError(`the service at ${this.config.apiUrl} is unavailable (HTTP ${response.status}): ${new ServiceError(response.status, errors).message}`);
    }
    if (response.status === 401) throw new ServiceError(401, [...errors, { title: 'Authentication', detail: this.authHint() }]);
    throw new ServiceError(response.status, errors);
  }

  /** What to do about a 401: where ibs takes its token from, and how local mode mints one. */
  private authHint(): string {
    const mint = 'for the local service, mint one with "export IBS_TOKEN=$(ibs token --org ORG --user USER)"';
    return this.config.token
      ? `the token ibs sent (from --token, IBS_TOKEN or the config file) was refused; ${mint}`
      : `ibs sent no token: pass --token, set IBS_TOKEN or "token" in the config file; ${mint}`;
  }
}

function errorItems(body: unknown): ServiceErrorItem[] | undefined {
  const errors = (body as { errors?: unknown })?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  return errors.map((e) => ({ title: String((e as ServiceErrorItem)?.title ?? 'Error'), detail: String((e as ServiceErrorItem)?.detail ?? '') }));
}
