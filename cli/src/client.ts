/** The HTTP client for the Image Builder API: JSON in and out, the service's error messages kept intact. */
import type { ServiceConfig } from './config.ts';
import { CliError, ServiceError, UnreachableError, type ServiceErrorItem } from './errors.ts';

export type Query = Record<string, string | number | undefined>;

export interface ClientOptions {
  /** Milliseconds before a request counts as unanswered. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** How a 429 is retried after its Retry-After (default DEFAULT_RATE_LIMIT_RETRY). */
  rateLimitRetry?: RateLimitRetry;
  /** Told before each wait for a 429 (default: a line on stderr). */
  onRateLimited?: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Retries of a request the service refused for its rate (429): it wrote nothing, so any request may be sent again. */
export interface RateLimitRetry {
  /** Requests in all, the first included (1: never retry). */
  attempts: number;
  /** Longest single wait; a Retry-After beyond it is not waited for. */
  maxWaitMs: number;
}

/** A few attempts, none waiting more than 30 seconds: a script neither fails at once nor hangs for long. */
export const DEFAULT_RATE_LIMIT_RETRY: RateLimitRetry = { attempts: 4, maxWaitMs: 30_000 };

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date); absent or unreadable: 1 second. */
export function parseRetryAfter(header: string | null, now = Date.now()): number {
  const value = header?.trim() ?? '';
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - now);
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
  private readonly retry: RateLimitRetry;
  private readonly onRateLimited: (message: string) => void;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    readonly config: ServiceConfig,
    options: ClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchFn = options.fetch ?? fetch;
    this.retry = options.rateLimitRetry ?? DEFAULT_RATE_LIMIT_RETRY;
    this.onRateLimited = options.onRateLimited ?? ((message) => process.stderr.write(`ibs: ${message}\n`));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
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

  /** Sends the request, again after each 429's Retry-After while attempts remain and the wait is within bounds. */
  async request<T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.requestOnce<T>(method, path, query, body);
      } catch (error) {
        if (!(error instanceof RateLimitedAnswer)) throw error;
        const seconds = Math.ceil(error.waitMs / 1000);
        const why =
          attempt >= this.retry.attempts
            ? `ibs gave up after ${attempt} attempt${attempt === 1 ? '' : 's'}`
            : error.waitMs > this.retry.maxWaitMs
              ? `ibs does not wait longer than ${Math.ceil(this.retry.maxWaitMs / 1000)} seconds at a time`
              : undefined;
        if (why) throw new ServiceError(429, [...error.errors, { title: 'Rate limit', detail: `${why}; the service asks to retry after ${seconds} seconds` }]);
        this.onRateLimited(`rate limited by the service (HTTP 429); retrying in ${seconds} seconds (attempt ${attempt + 1} of ${this.retry.attempts})`);
        await this.sleep(error.waitMs);
      }
    }
  }

  private async requestOnce<T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
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
    if (response.status === 429) throw new RateLimitedAnswer(errors, parseRetryAfter(response.headers.get('retry-after')));
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

/** A 429 inside the client, before the retry decision. */
class RateLimitedAnswer extends Error {
  constructor(
    readonly errors: ServiceErrorItem[],
    readonly waitMs: number,
  ) {
    super('rate limited');
  }
}
