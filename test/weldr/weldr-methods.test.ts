/**
 * Methods as composer's httprouter answers them: another method's path is a bodiless 405 with `Allow` (whatever the
 * API version in the path: composer checks it in its handlers), OPTIONS a bodiless 200 with `Allow`, an unknown path
 * composer's 404 for every method.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { weldrCall } from './weldr-client.ts';
import { startWeldrStack } from './weldr-stack.ts';

let stack: LocalStack;
beforeAll(async () => {
  ({ stack } = await startWeldrStack('weldr-methods', 'test-distro-1'));
}, 60_000);
afterAll(() => stack?.stop());

const call = async (method: string, path: string) => {
  const res = await weldrCall(stack.weldr!.socketPath, method, path);
  return { status: res.status, allow: res.headers.allow, body: res.text() };
};

describe('Weldr methods (httprouter)', () => {
  it('answers another method with 405 and Allow, before any version check', async () => {
    expect(await call('POST', '/api/status')).toEqual({ status: 405, allow: 'GET, OPTIONS', body: '' });
    expect(await call('POST', '/api/v1/blueprints/list')).toEqual({ status: 405, allow: 'GET, OPTIONS', body: '' });
    expect(await call('POST', '/api/v9/blueprints/list')).toEqual({ status: 405, allow: 'GET, OPTIONS', body: '' });
    // distros/list is v1 only, but the router answers the method first
    expect(await call('DELETE', '/api/v0/distros/list')).toEqual({ status: 405, allow: 'GET, OPTIONS', body: '' });
    expect(await call('GET', '/api/v1/compose/uploads/schedule/x')).toEqual({ status: 405, allow: 'OPTIONS, POST', body: '' });
    expect(await call('DELETE', '/api/v1/blueprints/workspace')).toEqual({ status: 405, allow: 'OPTIONS, POST', body: '' });
  });

  it('answers OPTIONS with Allow and no body; unknown paths stay 404', async () => {
    expect(await call('OPTIONS', '/api/status')).toEqual({ status: 200, allow: 'GET, OPTIONS', body: '' });
    expect(await call('OPTIONS', '/api/v1/compose/delete/x')).toEqual({ status: 200, allow: 'DELETE, OPTIONS', body: '' });
    expect(await call('OPTIONS', '/api/v9/blueprints/workspace')).toEqual({ status: 200, allow: 'OPTIONS, POST', body: '' });
    const missing = await call('OPTIONS', '/api/v1/no/such/route');
    expect({ status: missing.status, allow: missing.allow, body: JSON.parse(missing.body) }).toEqual({ status: 404, allow: undefined, body: { status: false, errors: [{ code: 404, id: 'HTTPError', msg: 'Not Found' }] } });
    expect((await call('GET', '/api/v9/blueprints/list')).status).toBe(404);
  });
});
