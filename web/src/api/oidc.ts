/**
 * Sign-in against the stack's user pool: the OIDC authorization code flow with PKCE (a public client, no secret in
 * the browser). Tokens live in sessionStorage: gone when the tab closes.
 */
import type { AuthSettings } from './runtime-config.ts';

type OidcSettings = Extract<AuthSettings, { mode: 'oidc' }>;

interface Endpoints {
  authorization: string;
  token: string;
  logout?: string;
}

interface StoredTokens {
  token: string;
  expiresAt: number;
}

const TOKEN_KEY = 'ibs.oidc.tokens';
const PENDING_KEY = 'ibs.oidc.pending';
export const CALLBACK_PATH = '/auth/callback';

const base64Url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

const randomString = () => base64Url(crypto.getRandomValues(new Uint8Array(32)));

async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/** The endpoints given in the config, or those of the issuer's discovery document. */
async function resolveEndpoints(settings: OidcSettings): Promise<Endpoints> {
  if (settings.authorizationEndpoint && settings.tokenEndpoint) {
    return { authorization: settings.authorizationEndpoint, token: settings.tokenEndpoint, logout: settings.logoutEndpoint };
  }
  const response = await fetch(`${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`the identity provider's discovery document answered ${response.status}`);
  const doc = (await response.json()) as { authorization_endpoint: string; token_endpoint: string; end_session_endpoint?: string };
  return { authorization: doc.authorization_endpoint, token: doc.token_endpoint, logout: settings.logoutEndpoint ?? doc.end_session_endpoint };
}

/** A stored, unexpired token, or undefined. */
export function readStoredToken(): string | undefined {
  const raw = sessionStorage.getItem(TOKEN_KEY);
  if (!raw) return undefined;
  const stored = JSON.parse(raw) as StoredTokens;
  return stored.expiresAt > Date.now() + 30_000 ? stored.token : undefined;
}

/** Sends the browser to the sign-in page; it comes back to CALLBACK_PATH with a code. */
export async function beginSignIn(settings: OidcSettings): Promise<void> {
  const endpoints = await resolveEndpoints(settings);
  const verifier = randomString();
  const state = randomString();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, returnTo: location.pathname + location.search }));
  const url = new URL(endpoints.authorization);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: settings.clientId,
    redirect_uri: `${location.origin}${CALLBACK_PATH}`,
    scope: settings.scopes ?? 'openid email profile',
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** On CALLBACK_PATH: trades the code for tokens; returns the path to go back to. */
export async function completeSignIn(settings: OidcSettings): Promise<string> {
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as { verifier: string; state: string; returnTo: string } | null;
  sessionStorage.removeItem(PENDING_KEY);
  if (params.get('error')) throw new Error(`sign-in failed: ${params.get('error_description') ?? params.get('error')}`);
  if (!pending || params.get('state') !== pending.state) throw new Error('sign-in failed: the answer does not match a sign-in started here');
  const endpoints = await resolveEndpoints(settings);
  const response = await fetch(endpoints.token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: settings.clientId,
      code: params.get('code') ?? '',
      redirect_uri: `${location.origin}${CALLBACK_PATH}`,
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Error(`sign-in failed: the token endpoint answered ${response.status}`);
  const tokens = (await response.json()) as { id_token?: string; access_token: string; expires_in: number };
  const token = settings.tokenType === 'access' ? tokens.access_token : (tokens.id_token ?? tokens.access_token);
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ token, expiresAt: Date.now() + tokens.expires_in * 1000 } satisfies StoredTokens));
  return pending.returnTo || '/';
}

export async function signOut(settings: OidcSettings): Promise<void> {
  sessionStorage.removeItem(TOKEN_KEY);
  const endpoints = await resolveEndpoints(settings).catch(() => undefined);
  if (endpoints?.logout) {
    const url = new URL(endpoints.logout);
    url.searchParams.set('client_id', settings.clientId);
    url.searchParams.set('logout_uri', location.origin + '/');
    location.assign(url.toString());
  } else location.assign('/');
}
