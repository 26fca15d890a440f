import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, createApiHandler, jsonDepth, type Route } from '../../functions/api/http.ts';
import { identityFromOrgHeader } from '../../functions/api/auth.ts';
import { ConflictError, NotConfiguredError, NotFoundError, UnsatisfiableError, ValidationError } from '../../layers/src/errors.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';

function handlerThrowing(error: unknown, lines: string[]) {
  const route: Route = {
    method: 'GET',
    path: '/boom/{thing}',
    operationId: 'boom',
    handle: async () => {
      throw error;
    },
  };
  const deps = { log: createLogger({}, { write: (line) => lines.push(line) }) } as unknown as ServiceDeps;
  return createApiHandler(deps, [route], { authenticate: identityFromOrgHeader });
}

async function call(error: unknown, path = '/api/image-builder/v1/boom/x') {
  const lines: string[] = [];
  const event = {
    rawPath: path,
    headers: {},
    requestContext: { http: { method: 'GET' }, requestId: 'req-1234' },
  } as unknown as APIGatewayProxyEventV2;
  const result = (await handlerThrowing(error, lines)(event, { awsRequestId: 'req-1234' } as Context)) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, body: JSON.parse(String(result.body)), headers: result.headers ?? {}, lines };
}

describe('one table maps domain errors to HTTP', () => {
  it.each([
    [new ValidationError('image_requests[0].size', 'must be at least 1 GiB'), 400, /image_requests\[0\]\.size: must be/],
    [new NotFoundError('compose 1 not found'), 404, /compose 1 not found/],
    [new ConflictError('compose 1 already finished (success)'), 409, /already finished/],
    [new UnsatisfiableError('nothing provides foo'), 422, /nothing provides foo/],
    [new NotConfiguredError('no depsolver is configured'), 503, /no depsolver/],
  ])('%s → its status with the message as detail', async (error, status, detail) => {
    const { status: got, body } = await call(error);
    expect(got).toBe(status);
    expect(body.errors[0].detail).toMatch(detail);
  });

  it('hides internals of unexpected errors and names the request id in the body and the log line', async () => {
    const { status, body, headers, lines } = await call(new Error('SQLITE_CORRUPT at /var/lib/ibs/secret-path'));
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('SQLITE');
    expect(JSON.stringify(body)).not.toContain('secret-path');
    expect(body.errors[0].detail).toContain('req-1234');
    expect(headers['x-request-id']).toBe('req-1234');
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.level === 'error');
    expect(logged?.requestId).toBe('req-1234');
    expect(JSON.stringify(logged)).toContain('SQLITE_CORRUPT');
  });

  it('a malformed %-escape in a path parameter is a 400, not a 500', async () => {
    const { status, body } = await call(new Error('unreached'), '/api/image-builder/v1/boom/%E0%A4%A');
    expect(status).toBe(400);
    expect(body.errors[0].detail).toMatch(/thing: .*malformed %-escape/);
  });

  it('a store that hits a full disk (ENOSPC / SQLITE_FULL anywhere in the causes) is a 507, not a 500', async () => {
    const full = new Error('could not store blob x', { cause: Object.assign(new Error('write failed'), { code: 'ENOSPC' }) });
    const { status, body } = await call(full);
    expect(status).toBe(507);
    expect(body.errors[0].detail).toMatch(/out of storage space; nothing was saved/);
    expect((await call(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).status).toBe(507);
  });

  it('an error matched only by its name string is not trusted: a plain Error named like a domain error is a 500', async () => {
    const impostor = Object.assign(new Error('x'), { name: 'ValidationError' });
    expect((await call(impostor)).status).toBe(500);
  });
});

describe('request bodies', () => {
  const echo: Route = { method: 'POST', path: '/echo', operationId: 'echo', handle: async ({ body }) => ({ status: 200, body }) };
  const handler = createApiHandler({ log: createLogger({}, { write: () => {} }) } as unknown as ServiceDeps, [echo], { authenticate: identityFromOrgHeader });
  const post = async (body: string, contentType?: string) => {
    const event = {
      rawPath: '/api/image-builder/v1/echo',
      headers: contentType ? { 'Content-Type': contentType } : {},
      requestContext: { http: { method: 'POST' }, requestId: 'r' },
      body,
    } as unknown as APIGatewayProxyEventV2;
    const result = (await handler(event, { awsRequestId: 'r' } as Context)) as APIGatewayProxyStructuredResultV2;
    return { status: result.statusCode, body: JSON.parse(String(result.body)) };
  };

  it('must be JSON by content type: a cross-site "simple" POST (text/plain, form) is refused with 415', async () => {
    expect((await post('{"a":1}', 'application/json; charset=utf-8')).status).toBe(200);
    expect((await post('{"a":1}', 'application/merge-patch+json')).status).toBe(200);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const { status, body } = await post('{"a":1}', type);
      expect(status).toBe(415);
      expect(body.errors[0].detail).toMatch(/content-type application\/json/);
    }
  });

  it('nesting deeper than the limit is a 400 naming it, never a 500 (also 5,000 levels)', async () => {
    const nested = (levels: number) => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
    expect((await post(nested(MAX_JSON_DEPTH), 'application/json')).status).toBe(200);
    for (const levels of [MAX_JSON_DEPTH + 1, 5000]) {
      const { status, body } = await post(nested(levels), 'application/json');
      expect(status).toBe(400);
      expect(body.errors[0].detail).toBe(`request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    expect(jsonDepth([[[1]], { a: [{}] }], 10)).toBe(4);
  });
});

describe('the /v1.0 server URL of the hosted spec', () => {
  it('serves the same routes as /v1', async () => {
    const version: Route = { method: 'GET', path: '/version', operationId: 'getVersion', public: true, handle: async () => ({ status: 200, body: { version: 'x' } }) };
    const handler = createApiHandler({ log: createLogger({}, { write: () => {} }) } as unknown as ServiceDeps, [version], { authenticate: identityFromOrgHeader });
    for (const [path, status] of [['/api/image-builder/v1.0/version', 200], ['/api/image-builder/v1/version', 200], ['/api/image-builder/v1.1/version', 404]] as const) {
      const event = { rawPath: path, headers: {}, requestContext: { http: { method: 'GET' }, requestId: 'r' } } as unknown as APIGatewayProxyEventV2;
      expect(((await handler(event, { awsRequestId: 'r' } as Context)) as APIGatewayProxyStructuredResultV2).statusCode, path).toBe(status);
    }
  });
});
