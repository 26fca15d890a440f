/** `ibs token` mints a token from the local service's key, and ibs sends it; a 401 says what to do. */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../layers/src/log/logger.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { runIbs } from './helpers.ts';

let stack: LocalStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ibs-cli-token-'));
  stack = await startLocalStack({ dataDir, port: 0, runners: 0, log: createLogger({}, { write: () => {} }) });
});
afterAll(() => stack?.stop());

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;

describe('ibs token', { timeout: 120_000 }, () => {
  it('mints a token for the organization and user from the data directory the service created its key in', async () => {
    expect(statSync(join(dataDir, 'auth/signing-key.jwk')).mode & 0o777).toBe(0o600);
    const r = await runIbs(['token', '--org', 'acme', '--user', 'alice', '--ttl', '1h'], { env: { IBS_DATA_DIR: dataDir } });
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim();
    const claims = claimsOf(token);
    expect(claims).toMatchObject({ org_id: 'acme', sub: 'alice', iss: 'ibs-local', aud: 'image-builder-api' });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);

    const list = await runIbs(['compose', 'list', '--json'], { env: { IBS_URL: stack.url, IBS_TOKEN: token } });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ meta: { count: 0 } });

    const json = await runIbs(['token', '--org', 'acme', '-u', 'bob', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(json.stdout)).toMatchObject({ org: 'acme', user: 'bob', token: expect.stringMatching(/^ey/), expires_at: expect.any(String) });
  });

  it('refuses bad input with exit 2 and a data directory without a key with exit 1 naming IBS_DATA_DIR', async () => {
    const env = { IBS_DATA_DIR: dataDir };
    expect((await runIbs(['token', '--user', 'alice'], { env })).stderr).toMatch(/--org is required/);
    expect((await runIbs(['token', '--org', 'a b', '--user', 'alice'], { env })).code).toBe(2);
    const ttl = await runIbs(['token', '--org', 'acme', '--user', 'alice', '--ttl', 'soon'], { env });
    expect([ttl.code, ttl.stderr]).toEqual([2, expect.stringMatching(/--ttl must be seconds/)]);
    expect((await runIbs(['token', '--org', 'acme', '--user', 'alice', '--ttl', '31d'], { env })).code).toBe(2);
    const none = await runIbs(['token', '--org', 'acme', '--user', 'alice'], { env: { IBS_DATA_DIR: mkdtempSync(join(tmpdir(), 'ibs-no-key-')) } });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no token signing key in .*auth: start the service once .*IBS_DATA_DIR/);
  });

  it('shows a 401 with what to do: no token sent, or the token sent refused', async () => {
    const missing = await runIbs(['compose', 'list'], { env: { IBS_URL: stack.url } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Unauthorized: this request needs a bearer token.*ibs sent no token: pass --token, set IBS_TOKEN.*ibs token --org ORG --user USER.*\(HTTP 401\)/);
    const foreign = await runIbs(['compose', 'list'], { env: { IBS_URL: stack.url, IBS_TOKEN: 'eyJhbGciOiJub25lIn0.eyJvcmdfaWQiOiJhY21lIn0.' } });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/Unauthorized: .*the token ibs sent \(from --token, IBS_TOKEN or the config file\) was refused/);
  });
});
