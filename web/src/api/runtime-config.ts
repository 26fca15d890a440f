/** The UI's settings come from /config.json at run time, so one build serves every deployment (local or AWS). */

export type AuthSettings =
  /** Local insecure mode: the API takes the organization from X-Org-Id. */
  | { mode: 'header'; org: string }
  /** Local mode with tokens: the service minted this bearer token for its configured organization. */
  | { mode: 'local'; token: string; org?: string }
  /** AWS: sign in with the user pool (OIDC authorization code flow with PKCE). */
  | { mode: 'oidc'; issuer: string; clientId: string; authorizationEndpoint?: string; tokenEndpoint?: string; logoutEndpoint?: string; scopes?: string; tokenType?: 'id' | 'access' };

export interface RuntimeConfig {
  /** Where the API is, e.g. /api/image-builder/v1 or https://abc.execute-api.../api/image-builder/v1. */
  apiBase: string;
  auth: AuthSettings;
}

export const DEFAULT_CONFIG: RuntimeConfig = { apiBase: '/api/image-builder/v1', auth: { mode: 'header', org: 'local' } };

/** Reads /config.json; without one (e.g. `vite dev`), the same-origin API in header mode. */
export async function loadRuntimeConfig(fetchImpl: typeof fetch = fetch): Promise<RuntimeConfig> {
  let response: Response;
  try {
    response = await fetchImpl('/config.json', { cache: 'no-store' });
  } catch {
    return DEFAULT_CONFIG;
  }
  if (!response.ok) return DEFAULT_CONFIG;
  const body = (await response.json()) as Partial<RuntimeConfig>;
  return { apiBase: (body.apiBase ?? DEFAULT_CONFIG.apiBase).replace(/\/$/, ''), auth: body.auth ?? DEFAULT_CONFIG.auth };
}
