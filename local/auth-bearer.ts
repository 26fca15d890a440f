/**
 * Local mode's stand-in for API Gateway's JWT authorizer: the bearer token of every non-public request is verified
 * against the data directory's key (ES256 only, issuer, audience, exp/nbf with 30 s of clock skew) and its claims give
 * the organization and user. Each refusal is a 401 saying what was wrong with the token.
 */
import { errors, jwtVerify, type JWTPayload } from 'jose';
import {
  AuthRefusal,
  bearerTokenOf,
  identityFromClaims,
  identityFromOrgHeader,
  type Authenticator,
  type ClaimNames,
} from '../functions/api/auth.ts';
import { LOCAL_ALGORITHM, LOCAL_AUDIENCE, LOCAL_ISSUER, type LocalKeySet } from './auth-keys.ts';

export const CLOCK_TOLERANCE_SECONDS = 30;

export interface BearerAuthOptions {
  keys: Pick<LocalKeySet, 'publicKey'>;
  claimNames: ClaimNames;
  /** IBS_INSECURE_ORG_HEADER: a request without a token acts for the organization its X-Org-Id names. */
  insecureOrgHeader?: boolean;
}

const MISSING = `this request needs a bearer token ("Authorization: Bearer <token>"); mint one with "ibs token --org ORG --user USER"`;

export function createBearerAuthenticator(options: BearerAuthOptions): Authenticator {
  return async (event) => {
    const token = bearerTokenOf(event);
    if (token === undefined) {
      if (options.insecureOrgHeader) return identityFromOrgHeader(event);
      throw new AuthRefusal(MISSING);
    }
    return identityFromClaims(await verifyLocalToken(token, options.keys), options.claimNames);
  };
}

/** The verified claims of `token`, or an AuthRefusal naming what is wrong with it. */
export async function verifyLocalToken(token: string, keys: Pick<LocalKeySet, 'publicKey'>): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, {
      algorithms: [LOCAL_ALGORITHM],
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp'],
    });
    return payload;
  } catch (error) {
    throw new AuthRefusal(explainRejection(error), 'invalid_token', { cause: error });
  }
}

function explainRejection(error: unknown): string {
  if (error instanceof errors.JWTExpired) {
    const exp = Number(error.payload.exp);
    return `the token expired${Number.isFinite(exp) ? ` at ${new Date(exp * 1000).toISOString()}` : ''}; mint a new one with "ibs token"`;
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason, payload } = error;
    if (reason === 'missing') return `the token has no ${claim} claim`;
    if (claim === 'iss') return `the token was issued by ${JSON.stringify(payload.iss)}, not by "${LOCAL_ISSUER}"`;
    if (claim === 'aud') return `the token is for the audience ${JSON.stringify(payload.aud)}, not "${LOCAL_AUDIENCE}"`;
    if (claim === 'nbf') return 'the token is not valid yet (nbf is in the future)';
    return `the token's ${claim} claim is not acceptable (${reason})`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return `the token's signature algorithm is not accepted (only ${LOCAL_ALGORITHM})`;
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return "the token's signature does not verify with this service's key (was it minted for another data directory?)";
  }
  return 'the token is not a well-formed signed JWT';
}
