/**
 * Who is asking: every non-public route runs for one organization and user. On AWS the HTTP API's JWT authorizer has
 * verified the token and the handler reads the claims it passes on; in local mode the handler verifies the bearer
 * token itself (local/auth-bearer.ts). Both read the same claim names. No JWT library here: the Lambda bundles need none.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ConfigError, envString, type Env } from '../../layers/src/config/env.ts';
import { ValidationError } from '../../layers/src/errors.ts';
import { HttpRefusal } from './error-responses.ts';

/** The caller of a request, as its verified token (or the insecure development header) says. */
export interface Identity {
  orgId: string;
  userId?: string;
}

/** Establishes the caller of a request or throws an AuthRefusal (401). */
export type Authenticator = (event: APIGatewayProxyEventV2) => Promise<Identity>;

/** Which token claims carry the organization and the user (IBS_ORG_CLAIM, IBS_USER_CLAIM; the same locally and on AWS). */
export interface ClaimNames {
  org: string;
  user: string;
}

export const DEFAULT_CLAIM_NAMES: Readonly<ClaimNames> = { org: 'org_id', user: 'sub' };

/** IBS_ORG_CLAIM and IBS_USER_CLAIM (default org_id, sub): read by local/config.ts and functions/aws/config.ts alike. */
export function readClaimNames(env: Env): ClaimNames {
  const read = (variable: string, fallback: string) => {
    const name = envString(env, variable, fallback);
    if (!/^[\x21-\x7e]{1,128}$/.test(name)) throw new ConfigError(variable, `must be a claim name (printable, no spaces), got "${name}"`);
    return name;
  };
  return { org: read('IBS_ORG_CLAIM', DEFAULT_CLAIM_NAMES.org), user: read('IBS_USER_CLAIM', DEFAULT_CLAIM_NAMES.user) };
}

/** The realm named in WWW-Authenticate challenges. */
export const AUTH_REALM = 'image-builder';

export const ORG_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** RFC 6750 error codes: a request without usable credentials, or a token that is not accepted. */
export type BearerError = 'invalid_request' | 'invalid_token';

/** A 401 with its `WWW-Authenticate: Bearer` challenge (RFC 6750 §3); no error code when no credentials were sent. */
export class AuthRefusal extends HttpRefusal {
  constructor(
    message: string,
    readonly bearerError?: BearerError,
    options?: { cause?: unknown },
  ) {
    super(401, 'Unauthorized', message, options);
    this.name = 'AuthRefusal';
  }

  /** The WWW-Authenticate header value: the description is the detail, quoted-string safe. */
  get challenge(): string {
    const params = [`realm="${AUTH_REALM}"`];
    if (this.bearerError) {
      params.push(`error="${this.bearerError}"`, `error_description="${this.message.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' ')}"`);
    }
    return `Bearer ${params.join(', ')}`;
  }
}

/** The organization and user from verified claims; a token without a usable organization claim is refused. */
export function identityFromClaims(claims: Readonly<Record<string, unknown>> | undefined, names: ClaimNames): Identity {
  const org = claims?.[names.org];
  if (org === undefined || org === null || org === '') throw new AuthRefusal(`the token carries no ${names.org} claim (the organization)`, 'invalid_token');
  if (typeof org !== 'string' || !ORG_ID.test(org)) {
    throw new AuthRefusal(`the token's ${names.org} claim is not an organization id (1-64 letters, digits, ".", "_" or "-")`, 'invalid_token');
  }
  const user = claims?.[names.user];
  return typeof user === 'string' && user !== '' ? { orgId: org, userId: user } : { orgId: org };
}

/** AWS: API Gateway's JWT authorizer verified the token; its claims arrive in the request context. */
export function gatewayClaimsAuthenticator(names: ClaimNames = DEFAULT_CLAIM_NAMES): Authenticator {
  return async (event) => {
    const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } }).authorizer?.jwt?.claims;
    if (!claims) throw new AuthRefusal('no verified token reached the API (is the JWT authorizer attached to this route?)');
    return identityFromClaims(claims, names);
  };
}

/**
 * INSECURE, development only (IBS_INSECURE_ORG_HEADER=1): the organization is whatever `X-Org-Id` says (default
 * `local`); anyone who can reach the port can act as any organization.
 */
export async function identityFromOrgHeader(event: APIGatewayProxyEventV2): Promise<Identity> {
  const org = headerOf(event, 'x-org-id') ?? 'local';
  if (!ORG_ID.test(org)) throw new ValidationError('X-Org-Id', 'must be 1-64 letters, digits, ".", "_" or "-"');
  return { orgId: org };
}

/** The token of an `Authorization: Bearer <token>` header, undefined without one; any other form is refused. */
export function bearerTokenOf(event: APIGatewayProxyEventV2): string | undefined {
  const header = headerOf(event, 'authorization');
  if (header === undefined) return undefined;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!match) {
    const scheme = header.trim().split(/\s+/)[0] || '(empty)';
    throw new AuthRefusal(
      /^bearer$/i.test(scheme) ? 'the Authorization header has no token after "Bearer"' : `the Authorization header must be "Bearer <token>", got the scheme "${scheme.slice(0, 20)}"`,
      'invalid_request',
    );
  }
  return match[1];
}

export const headerOf = (event: APIGatewayProxyEventV2, name: string): string | undefined =>
  Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];
