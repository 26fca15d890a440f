import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { ValidationError } from '../../layers/src/errors.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { AuthRefusal, headerOf, type Authenticator } from './auth.ts';
import { HttpRefusal, respondToError } from './error-responses.ts';
import type { Logger } from '../../layers/src/log/logger.ts';
import { enforceRequestRate } from '../../layers/src/service/rate-limit.ts';

export const API_BASE = '/api/image-builder/v1';
/** The hosted spec's second server URL: the same API under `/v1.0`. */
export const API_BASES = [API_BASE, `${API_BASE}.0`] as const;
export const MAX_BODY_BYTES = 1024 * 1024;
/** Deepest JSON nesting a request may have: every body is stored, and DynamoDB refuses items nested deeper than 32. */
export const MAX_JSON_DEPTH = 24;

export interface RequestContext {
  deps: ServiceDeps;
  orgId: string;
  /** The caller's user claim (`sub` by default), when the token names one; '' on public routes. */
  userId?: string;
  params: Record<string, string>;
  query: Record<string, string>;
  /** Parsed JSON body (undefined when there is none). */
  body: unknown;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below API_BASE in OpenAPI form, e.g. /composes/{composeId}. */
  path: string;
  operationId: string;
  /** No organization needed (and no authorizer in AWS). */
  public?: boolean;
  handle(ctx: RequestContext): Promise<Reply>;
}

export interface ApiOptions {
  /**
   * Who is asking, for every non-public route: AWS reads the JWT authorizer's claims (gatewayClaimsAuthenticator),
   * local mode verifies the bearer token itself (local/auth-bearer.ts). Tests of single handlers may use the insecure
   * identityFromOrgHeader.
   */
  authenticate: Authenticator;
  /** The path prefixes the routes answer under (default API_BASES); another API over the same use cases names its own. */
  bases?: readonly string[];
  /** Turns a thrown error into the answer (default: the hosted API's error bodies, respondToError). */
  presentError?: ErrorPresenter;
}

/** An API's error answer for a thrown error; `operationId` is the matched route's ('' when no route matched). */
export type ErrorPresenter = (
  error: unknown,
  context: { requestId: string; log: Logger; path: string; operationId: string },
) => { status: number; body: unknown; headers?: Record<string, string> };

const json = (status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResultV2 => ({
  statusCode: status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const compileRoute = (route: Route, bases: readonly string[]) => {
  const names: string[] = [];
  const pattern = route.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, names, regex: new RegExp(`^(?:${bases.map(escapeRegex).join('|')})${pattern}/?$`) };
};

/** A malformed %-escape is the client's mistake, not a crash. */
function decodePathParam(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch (error) {
    throw new ValidationError(name, `path parameter "${raw}" has a malformed %-escape`, { cause: error });
  }
}

function parseBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.length > MAX_BODY_BYTES) {
    throw new HttpRefusal(413, 'Payload too large', `request body is ${raw.length} bytes; the limit is ${MAX_BODY_BYTES} bytes (1 MiB)`);
  }
  const type = (headerOf(event, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    // Also what keeps a web page's "simple" cross-site form POST (text/plain, form-encoded) from reaching a handler.
    throw new HttpRefusal(415, 'Unsupported media type', `request bodies must be JSON with content-type application/json, got "${type || '(none)'}"`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new HttpRefusal(400, 'Bad request', `request body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const depth = jsonDepth(value, MAX_JSON_DEPTH);
  if (depth > MAX_JSON_DEPTH) throw new HttpRefusal(400, 'Bad request', `request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}

/** Nesting depth of a parsed JSON value, counting no further than `limit + 1` (iterative: no stack to overflow). */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (level > limit) return level;
    for (const child of Object.values(node)) if (child !== null && typeof child === 'object') stack.push([child, level]);
  }
  return deepest;
}

/** One Lambda handler (API Gateway HTTP API, payload v2) serving `routes`; the same handler runs in local mode. */
export function createApiHandler(deps: ServiceDeps, routes: readonly Route[], options: ApiOptions) {
  const compiled = routes.map((route) => compileRoute(route, options.bases ?? API_BASES));
  const presentError = options.presentError ?? respondToError;
  // The route each request matched, for error bodies that name the operation.
  const operationOf = new WeakMap<APIGatewayProxyEventV2, string>();
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use({
      onError: async (request) => {
        const requestId = request.context?.awsRequestId ?? request.event.requestContext?.requestId ?? 'unknown';
        const operationId = operationOf.get(request.event) ?? '';
        const { status, body, headers } = presentError(request.error, { requestId, log: deps.log, path: request.event.rawPath, operationId });
        const challenge: Record<string, string> = request.error instanceof AuthRefusal ? { 'www-authenticate': request.error.challenge } : {};
        request.response = json(status, body, { 'x-request-id': requestId, ...headers, ...challenge });
      },
    })
    .handler(async (event) => {
      const method = event.requestContext.http.method.toUpperCase();
      const path = event.rawPath;
      const candidates = compiled.filter((c) => c.regex.test(path));
      if (candidates.length === 0) throw new HttpRefusal(404, 'Not found', `no route for ${path}`);
      const match = candidates.find((c) => c.route.method === method);
      if (!match) {
        throw new HttpRefusal(405, 'Method not allowed', `${method} is not allowed on ${path} (allowed: ${candidates.map((c) => c.route.method).join(', ')})`);
      }
      operationOf.set(event, match.route.operationId);
      const values = path.match(match.regex)?.slice(1) ?? [];
      const params = Object.fromEntries(match.names.map((name, i) => [name, decodePathParam(name, values[i] ?? '')]));
      const identity = match.route.public ? { orgId: '' } : await options.authenticate(event);
      if (!match.route.public) await enforceRequestRate(deps, identity.orgId);
      const ctx: RequestContext = {
        deps,
        orgId: identity.orgId,
        ...(identity.userId ? { userId: identity.userId } : {}),
        params,
        query: Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).map(([k, v]) => [k, String(v ?? "")])),
        body: parseBody(event),
      };
      const reply = await match.route.handle(ctx);
      return json(reply.status, reply.body, reply.headers);
    });
}
