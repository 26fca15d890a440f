/**
 * Bearer token verification at the API handler (local mode's stand-in for API Gateway's JWT authorizer), the AWS
 * claims reader and the data directory's key set: every bad token is a 401 in the API's error format with an RFC 6750
 * challenge, and says what is wrong.
 */
import { mkdtempSync, readFileSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { SignJWT, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayClaimsAuthenticator, type Authenticator, type ClaimNames } from '../../functions/api/auth.ts';
import { createApiHandler, type Route } from '../../functions/api/http.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { createBearerAuthenticator } from '../../local/auth-bearer.ts';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, ensureLocalKeySet, loadLocalKeySet, signLocalToken, type LocalKeySet } from '../../local/auth-keys.ts';
import { readLocalConfig } from '../../local/config.ts';
import { readAuthClaimNames } from '../../functions/aws/config.ts';

const whoAmI: Route = { method: 'GET', path: '/whoami', operationId: 'whoAmI', handle: async (ctx) => ({ status: 200, body: { org: ctx.orgId, user: ctx.userId ?? null } }) };
const open: Route = { method: 'GET', path: '/version', operationId: 'getVersion', public: true, handle: async () => ({ status: 200, body: { version: 'x' } }) };
const deps = { log: createLogger({}, { write: () => {} }), config: { downloadUrlTtlSeconds: 3600, version: 'test' } } as unknown as ServiceDeps;
const DEFAULT_NAMES: ClaimNames = { org: 'org_id', user: 'sub' };

function event(path: string, headers: Record<string, string> = {}, claims?: Record<string, unknown>): APIGatewayProxyEventV2 {
  return {
    rawPath: `/api/image-builder/v1${path}`,
    headers,
    requestContext: { http: { method: 'GET' }, requestId: 'r1', ...(claims ? { authorizer: { jwt: { claims } } } : {}) },
  } as unknown as APIGatewayProxyEventV2;
}

async function call(authenticate: Authenticator, headers: Record<string, string> = {}, path = '/whoami', claims?: Record<string, unknown>) {
  const handler = createApiHandler(deps, [whoAmI, open], { authenticate });
  const result = (await handler(event(path, headers, claims), { awsRequestId: 'r1' } as Context)) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(String(result.body)) as { org?: string; user?: string; errors?: { title: string; detail: string }[] } };
}

let keys: LocalKeySet;
let dataDir: string;
let local: Authenticator;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const now = () => Math.floor(Date.now() / 1000);

/** A token like `ibs token` mints, with `change` applied to its claims (undefined removes a claim). */
async function token(change: Record<string, unknown> = {}, key = keys.privateKey, alg = 'ES256'): Promise<string> {
  const claims: Record<string, unknown> = { org_id: 'acme', sub: 'alice', iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, iat: now(), exp: now() + 600, ...change };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
  return new SignJWT(claims).setProtectedHeader({ alg }).sign(key);
}

async function expectRefused(headers: Record<string, string>, detail: RegExp, error: string | null = 'invalid_token') {
  const r = await call(local, headers);
  expect(r.status).toBe(401);
  expect(r.body.errors).toEqual([{ title: 'Unauthorized', detail: expect.stringMatching(detail) }]);
  expect(r.body).not.toHaveProperty('org');
  const challenge = r.headers['www-authenticate'];
  expect(challenge).toMatch(/^Bearer realm="image-builder"/);
  if (error) expect(challenge).toContain(`error="${error}"`);
  else expect(challenge).toBe('Bearer realm="image-builder"');
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ibs-auth-'));
  keys = await ensureLocalKeySet(dataDir);
  local = createBearerAuthenticator({ keys, claimNames: DEFAULT_NAMES });
});

describe('local bearer tokens', () => {
  it('a token minted with the data directory key gives the organization and the user', async () => {
    const r = await call(local, bearer(await signLocalToken(keys, { org: 'acme', user: 'alice' })));
    expect(r).toMatchObject({ status: 200, body: { org: 'acme', user: 'alice' } });
    // The scheme is case-insensitive (RFC 7235).
    expect((await call(local, { Authorization: `bearer ${await token()}` })).status).toBe(200);
  });

  it('public routes need no token', async () => {
    expect((await call(local, {}, '/version')).status).toBe(200);
  });

  it('no token → 401 with a challenge without an error code, naming how to get one', async () => {
    await expectRefused({}, /needs a bearer token.*ibs token --org ORG --user USER/, null);
    // X-Org-Id is not a credential without the insecure development flag.
    await expectRefused({ 'x-org-id': 'acme' }, /needs a bearer token/, null);
  });

  it('an expired token → 401 saying when it expired; within the 30 s clock tolerance it still works', async () => {
    const exp = now() - 120;
    await expectRefused(bearer(await token({ exp, iat: exp - 600 })), new RegExp(`expired at ${new Date(exp * 1000).toISOString().slice(0, 16)}`));
    expect((await call(local, bearer(await token({ exp: now() - 10 })))).status).toBe(200);
  });

  it('a token not valid yet (nbf beyond the tolerance) → 401', async () => {
    await expectRefused(bearer(await token({ nbf: now() + 600 })), /not valid yet/);
  });

  it('a token signed by another key → 401 (signature)', async () => {
    const other = await generateKeyPair('ES256');
    await expectRefused(bearer(await token({}, other.privateKey)), /signature does not verify/);
  });

  it('a wrong issuer or audience → 401 naming what was expected', async () => {
    await expectRefused(bearer(await token({ iss: 'https://evil.example/' })), /issued by "https:\/\/evil\.example\/", not by "ibs-local"/);
    await expectRefused(bearer(await token({ aud: 'another-api' })), /audience "another-api", not "image-builder-api"/);
    await expectRefused(bearer(await token({ aud: undefined })), /no aud claim/);
  });

  it('alg none and algorithms other than ES256 → 401', async () => {
    const claims = Buffer.from(JSON.stringify({ org_id: 'acme', sub: 'alice', iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, exp: now() + 600 })).toString('base64url');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${claims}.`;
    await expectRefused(bearer(none), /not a well-formed signed JWT|algorithm is not accepted/);
    // HS256 keyed with the public key (the classic confusion attack).
    const publicJwk = JSON.parse(readFileSync(join(dataDir, 'auth/jwks.json'), 'utf8')).keys[0];
    const hmac = await token({}, new TextEncoder().encode(JSON.stringify(publicJwk)), 'HS256');
    await expectRefused(bearer(hmac), /algorithm is not accepted \(only ES256\)/);
  });

  it('no exp, no organization claim or a malformed organization → 401', async () => {
    await expectRefused(bearer(await token({ exp: undefined })), /no exp claim/);
    await expectRefused(bearer(await token({ org_id: undefined })), /no org_id claim/);
    await expectRefused(bearer(await token({ org_id: 'a b/../c' })), /org_id claim is not an organization id/);
    await expectRefused(bearer(await token({ org_id: ['acme'] })), /org_id claim is not an organization id/);
  });

  it('a malformed Authorization header → 401 invalid_request; a garbage token → 401 invalid_token', async () => {
    await expectRefused({ authorization: 'Basic YWxpY2U6c2VjcmV0' }, /must be "Bearer <token>", got the scheme "Basic"/, 'invalid_request');
    await expectRefused({ authorization: 'Bearer' }, /no token after "Bearer"/, 'invalid_request');
    await expectRefused({ authorization: 'Bearer two tokens' }, /no token after "Bearer"|must be "Bearer <token>"/, 'invalid_request');
    await expectRefused({ authorization: 'Bearer not.a.jwt' }, /not a well-formed signed JWT/);
  });

  it('reads the organization and user from configured claim names (IBS_ORG_CLAIM, IBS_USER_CLAIM)', async () => {
    const names = readLocalConfig({ IBS_ORG_CLAIM: 'tenant', IBS_USER_CLAIM: 'email' }).claimNames;
    expect(names).toEqual({ org: 'tenant', user: 'email' });
    const custom = createBearerAuthenticator({ keys, claimNames: names });
    const t = await signLocalToken(keys, { org: 'acme', user: 'alice@example.com', claimNames: names });
    expect((await call(custom, bearer(t))).body).toEqual({ org: 'acme', user: 'alice@example.com' });
    expect((await call(local, bearer(t))).status).toBe(401);
  });

  it('with the insecure development flag, a request without a token acts for its X-Org-Id; a token still wins', async () => {
    const insecure = createBearerAuthenticator({ keys, claimNames: DEFAULT_NAMES, insecureOrgHeader: true });
    expect((await call(insecure, { 'x-org-id': 'devorg' })).body).toEqual({ org: 'devorg', user: null });
    expect((await call(insecure, {})).body).toEqual({ org: 'local', user: null });
    expect((await call(insecure, { 'x-org-id': 'devorg', ...bearer(await token()) })).body).toEqual({ org: 'acme', user: 'alice' });
    expect((await call(insecure, { 'x-org-id': 'a b' })).status).toBe(400);
    expect((await call(insecure, bearer(await token({ exp: now() - 300 })))).status).toBe(401);
    expect(readLocalConfig({ IBS_INSECURE_ORG_HEADER: '1' }).insecureOrgHeader).toBe(true);
    expect(readLocalConfig({}).insecureOrgHeader).toBe(false);
    expect(() => readLocalConfig({ IBS_INSECURE_ORG_HEADER: 'yes' })).toThrow(/IBS_INSECURE_ORG_HEADER must be one of 0, 1/);
  });
});

describe('AWS: the JWT authorizer verified the token, the handler reads its claims', () => {
  it('organization and user from the configured claims; no claims or no organization → 401', async () => {
    const aws = gatewayClaimsAuthenticator({ org: 'custom:org_id', user: 'sub' });
    expect((await call(aws, {}, '/whoami', { 'custom:org_id': 'acme', sub: 'u-1' })).body).toEqual({ org: 'acme', user: 'u-1' });
    const missing = await call(aws, {}, '/whoami', { org_id: 'acme', sub: 'u-1' });
    expect([missing.status, missing.body.errors?.[0].detail]).toEqual([401, expect.stringContaining('no custom:org_id claim')]);
    expect((await call(aws, {})).status).toBe(401);
    // A header is never a credential on AWS.
    expect((await call(gatewayClaimsAuthenticator(), { 'x-org-id': 'acme' })).status).toBe(401);
  });

  it('the Lambda functions read the claim names from IBS_ORG_CLAIM and IBS_USER_CLAIM (default org_id, sub)', () => {
    expect(readAuthClaimNames({})).toEqual({ org: 'org_id', user: 'sub' });
    expect(readAuthClaimNames({ IBS_ORG_CLAIM: 'custom:org_id', IBS_USER_CLAIM: 'cognito:username' })).toEqual({ org: 'custom:org_id', user: 'cognito:username' });
    expect(() => readAuthClaimNames({ IBS_ORG_CLAIM: 'org id' })).toThrow(/IBS_ORG_CLAIM must be a claim name/);
  });
});

describe('the key set in the data directory', () => {
  it('is created once (private key 0600 in a 0700 directory, public JWKS without the private part) and reused', async () => {
    expect(statSync(join(dataDir, 'auth')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'auth/signing-key.jwk')).mode & 0o777).toBe(0o600);
    const jwks = JSON.parse(readFileSync(join(dataDir, 'auth/jwks.json'), 'utf8')) as { keys: Record<string, string>[] };
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: keys.kid })]);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect((await ensureLocalKeySet(dataDir)).kid).toBe(keys.kid);
  });

  it('processes starting at once end up with one key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibs-auth-race-'));
    const sets = await Promise.all(Array.from({ length: 6 }, () => ensureLocalKeySet(dir)));
    expect(new Set(sets.map((s) => s.kid)).size).toBe(1);
  });

  it('refuses a private key other users can read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibs-auth-mode-'));
    await ensureLocalKeySet(dir);
    chmodSync(join(dir, 'auth/signing-key.jwk'), 0o644);
    await expect(loadLocalKeySet(dir)).rejects.toThrow(/readable by other users \(mode 644\).*chmod 600/);
  });
});
