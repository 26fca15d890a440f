/**
 * The `fetch` repository metadata is read with where no address guard applies (local mode, the CLI): `file://` URLs
 * of local mirrors read from disk, and http(s) through the proxies named by the standard environment variables
 * (`http_proxy`, `https_proxy`, `no_proxy`, upper-case too), which Node's own fetch ignores.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FetchFn } from './repo-metadata.ts';

/** The proxy settings of an environment (lower-case names win, as curl and undici read them). */
export interface ProxySettings {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

/** The proxies an environment names; undefined when it names none. */
export function readProxySettings(env: Record<string, string | undefined> = process.env): ProxySettings | undefined {
  const pick = (name: string): string => env[name] ?? env[name.toUpperCase()] ?? '';
  const settings = { httpProxy: pick('http_proxy'), httpsProxy: pick('https_proxy'), noProxy: pick('no_proxy') };
  return settings.httpProxy || settings.httpsProxy ? settings : undefined;
}

export interface RepositoryFetchOptions {
  /** Read `file://` URLs from this machine's disk (default false: refused). */
  fileUrls?: boolean;
  /** Where the proxy variables are read (default process.env). */
  env?: Record<string, string | undefined>;
  /** The fetch for http(s) (tests); without it, the global fetch or, with proxies configured, undici's through them. */
  fetch?: FetchFn;
  /** Do not verify TLS certificates (a repository's `sslverify=0`, the API's `ignore_ssl`). */
  insecure?: boolean;
}

/** A fetch for repository metadata: file:// from disk when allowed, http(s) through the environment's proxies. */
export function createRepositoryFetch(opts: RepositoryFetchOptions = {}): FetchFn {
  const proxies = readProxySettings(opts.env ?? process.env);
  const network = opts.fetch ?? (proxies || opts.insecure ? undiciFetchVia(proxies, opts.insecure ?? false) : fetch);
  // a proxy elsewhere cannot reach this machine's loopback: 127.0.0.1 mirrors are always fetched directly
  const direct = opts.fetch ?? (opts.insecure ? undiciFetchVia(undefined, true) : fetch);
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' || input instanceof URL ? String(input) : input.url;
    if (!url.toLowerCase().startsWith('file:')) return (isLoopbackUrl(url) ? direct : network)(input, init);
    if (!opts.fileUrls) throw new Error(`file:// URLs are not allowed here (${url}): serve the repository over http(s)`);
    return readFileUrl(url);
  }) as FetchFn;
}

/**
 * undici's fetch, through an EnvHttpProxyAgent (no_proxy honoured per request) when proxies are set. undici is
 * imported on the first request: loading it costs a cold process ~100 ms, and most never need it.
 */
function undiciFetchVia(proxies: ProxySettings | undefined, insecure: boolean): FetchFn {
  const tls = insecure ? { connect: { rejectUnauthorized: false }, requestTls: { rejectUnauthorized: false } } : {};
  let client: Promise<{ fetch: typeof import('undici').fetch; dispatcher: import('undici').Dispatcher }> | undefined;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    client ??= import('undici').then(({ Agent, EnvHttpProxyAgent, fetch }) => ({
      fetch,
      // http targets in absolute form (GET http://host/path), as curl and dnf send them; https through CONNECT
      dispatcher: proxies ? new EnvHttpProxyAgent({ ...proxies, proxyTunnel: false, ...tls }) : new Agent(tls),
    }));
    const { fetch, dispatcher } = await client;
    return fetch(input instanceof Request ? input.url : input, { ...(init as object), dispatcher }) as unknown as Promise<Response>;
  }) as FetchFn;
}

function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A local file as a Response (404 when it does not exist, as a web server would answer). */
async function readFileUrl(url: string): Promise<Response> {
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch (e) {
    throw new Error(`malformed file URL ${url}: ${(e as Error).message}`, { cause: e });
  }
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return new Response(null, { status: 404, statusText: `Not Found (no file ${path})` });
  const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
  return new Response(body, { status: 200, headers: { 'content-length': String(info.size) } });
}
