// @vitest-environment happy-dom
/** Sign-in with the stack's user pool: the authorization code flow with PKCE, as web/src/api/oidc.ts runs it. */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { beginSignIn, CALLBACK_PATH, completeSignIn, readStoredToken } from '../../web/src/api/oidc.ts';
import { createApiClient } from '../../web/src/api/client.ts';

const settings = {
  mode: 'oidc' as const,
  issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/pool',
  clientId: 'client-1',
  authorizationEndpoint: 'https://ibs.auth.example/oauth2/authorize',
  tokenEndpoint: 'https://ibs.auth.example/oauth2/token',
  tokenType: 'id' as const,
};

afterEach(() => {
  sessionStorage.clear();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('OIDC sign-in', () => {
  it('sends the browser to the authorization endpoint with an S256 challenge of a verifier it keeps, then trades the code with that verifier', async () => {
    history.replaceState(null, '', '/images?x=1');
    const assign = vi.spyOn(location, 'assign').mockImplementation(() => {});
    await beginSignIn(settings);
    const target = new URL(assign.mock.calls[0][0] as string);
    expect(`${target.origin}${target.pathname}`).toBe(settings.authorizationEndpoint);
    const q = target.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe('client-1');
    expect(q.get('redirect_uri')).toBe(`${location.origin}${CALLBACK_PATH}`);
    expect(q.get('code_challenge_method')).toBe('S256');
    const pending = JSON.parse(sessionStorage.getItem('ibs.oidc.pending')!) as { verifier: string; state: string };
    expect(q.get('code_challenge')).toBe(createHash('sha256').update(pending.verifier).digest('base64url'));
    expect(q.get('state')).toBe(pending.state);

    // Back from the identity provider with a code and the same state.
    history.replaceState(null, '', `${CALLBACK_PATH}?code=abc&state=${pending.state}`);
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ id_token: 'id-token', access_token: 'access-token', expires_in: 3600 })));
    vi.stubGlobal('fetch', fetchMock);
    expect(await completeSignIn(settings)).toBe('/images?x=1');
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe(settings.tokenEndpoint);
    const body = new URLSearchParams(init.body as URLSearchParams);
    expect(Object.fromEntries(body)).toMatchObject({ grant_type: 'authorization_code', code: 'abc', code_verifier: pending.verifier, client_id: 'client-1' });
    expect(readStoredToken()).toBe('id-token');
  });

  it('refuses an answer whose state it did not send, and an expired token is no token', async () => {
    sessionStorage.setItem('ibs.oidc.pending', JSON.stringify({ verifier: 'v', state: 'mine', returnTo: '/' }));
    history.replaceState(null, '', `${CALLBACK_PATH}?code=abc&state=forged`);
    await expect(completeSignIn(settings)).rejects.toThrow(/does not match/);
    sessionStorage.setItem('ibs.oidc.tokens', JSON.stringify({ token: 'old', expiresAt: Date.now() + 10_000 }));
    expect(readStoredToken()).toBeUndefined();
  });

  it('sends the stored token as a bearer token, and a 401 asks to sign in again', async () => {
    sessionStorage.setItem('ibs.oidc.tokens', JSON.stringify({ token: 'tok', expiresAt: Date.now() + 3_600_000 }));
    const seen: Record<string, string>[] = [];
    const fetchImpl = vi.fn(async (_url: string, init?: RequestInit) => {
      seen.push(init?.headers as Record<string, string>);
      return new Response(JSON.stringify({ errors: [{ title: 'Unauthorized', detail: 'token expired' }] }), { status: 401 });
    });
    const onUnauthorized = vi.fn();
    const api = createApiClient({ apiBase: '/api/image-builder/v1', auth: settings }, onUnauthorized, fetchImpl as unknown as typeof fetch);
    await expect(api.get('/composes')).rejects.toThrow('token expired');
    expect(seen[0].authorization).toBe('Bearer tok');
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('refreshes an expired local token from /config.json once and retries', async () => {
    const fetchImpl = vi.fn(async (url: string, init?: RequestInit) => {
      if (url === '/config.json') return new Response(JSON.stringify({ apiBase: '/api/image-builder/v1', auth: { mode: 'local', token: 'fresh' } }));
      const auth = (init?.headers as Record<string, string>).authorization;
      return auth === 'Bearer fresh' ? new Response('{"data":[]}') : new Response('{"errors":[]}', { status: 401 });
    });
    const api = createApiClient({ apiBase: '/api/image-builder/v1', auth: { mode: 'local', token: 'stale' } }, () => {}, fetchImpl as unknown as typeof fetch);
    expect(await api.get('/composes')).toEqual({ data: [] });
    expect(fetchImpl.mock.calls.map((c) => c[0])).toEqual(['/api/image-builder/v1/composes', '/config.json', '/api/image-builder/v1/composes']);
  });
});
