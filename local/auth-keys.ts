/**
 * Local mode's token issuer: one ES256 key pair kept in `<dataDir>/auth/` (created on the service's first start), that
 * signs the tokens `ibs token` mints and verifies the bearer tokens requests carry. The private key never leaves the
 * machine: `signing-key.jwk` (mode 0600, in a 0700 directory); `jwks.json` is its public half for other verifiers.
 */
import { randomUUID } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { DEFAULT_CLAIM_NAMES, ORG_ID, type ClaimNames } from '../functions/api/auth.ts';

/** The `iss` of every local token and the only issuer local mode accepts. */
export const LOCAL_ISSUER = 'ibs-local';
/** The `aud` of every local token and the only audience local mode accepts. */
export const LOCAL_AUDIENCE = 'image-builder-api';
/** The only signature algorithm local tokens are signed and verified with. */
export const LOCAL_ALGORITHM = 'ES256';
export const DEFAULT_TOKEN_TTL_SECONDS = 12 * 3600;
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

type Key = Awaited<ReturnType<typeof importJWK>>;

export interface LocalKeySet {
  kid: string;
  privateKey: Key;
  publicKey: Key;
  /** `<dataDir>/auth`. */
  dir: string;
}

export const authDirOf = (dataDir: string): string => join(dataDir, 'auth');
const privateKeyPath = (dataDir: string) => join(authDirOf(dataDir), 'signing-key.jwk');
const publicKeysPath = (dataDir: string) => join(authDirOf(dataDir), 'jwks.json');

/** The key set of `dataDir`, created when there is none yet (two processes starting at once end up with the same one). */
export async function ensureLocalKeySet(dataDir: string): Promise<LocalKeySet> {
  const existing = await loadLocalKeySet(dataDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing) return existing;
  const dir = authDirOf(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = await generateKeyPair(LOCAL_ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  // Written whole under a temporary name, then linked into place: a reader never sees half a key, and link() fails
  // when another process got there first (its key wins).
  const temporary = join(dir, `.signing-key-${randomUUID()}.tmp`);
  await writeFile(temporary, `${JSON.stringify({ ...jwk, kid, alg: LOCAL_ALGORITHM, use: 'sig' })}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, privateKeyPath(dataDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the token signing key in ${dir}: ${(error as Error).message}`, { cause: error });
  } finally {
    await rm(temporary, { force: true });
  }
  return loadLocalKeySet(dataDir);
}

/** The existing key set of `dataDir` (ENOENT when the service never started there); refuses a key others can read. */
export async function loadLocalKeySet(dataDir: string): Promise<LocalKeySet> {
  const path = privateKeyPath(dataDir);
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) {
    throw new Error(`the token signing key ${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}): run "chmod 600 ${path}"`);
  }
  let jwk: JWK & { kid: string };
  try {
    jwk = JSON.parse(await readFile(path, 'utf8')) as JWK & { kid: string };
  } catch (error) {
    throw new Error(`the token signing key ${path} is not a JSON Web Key: ${(error as Error).message}`, { cause: error });
  }
  const { d: _private, ...publicJwk } = jwk;
  const publicKeys = `${JSON.stringify({ keys: [publicJwk] }, null, 2)}\n`;
  // The public half is derived, never trusted from disk: rewritten when missing or different.
  if ((await readFile(publicKeysPath(dataDir), 'utf8').catch(() => '')) !== publicKeys) {
    await writeFile(publicKeysPath(dataDir), publicKeys);
    await chmod(publicKeysPath(dataDir), 0o644);
  }
  return {
    kid: jwk.kid,
    privateKey: await importJWK(jwk, LOCAL_ALGORITHM),
    publicKey: await importJWK(publicJwk, LOCAL_ALGORITHM),
    dir: authDirOf(dataDir),
  };
}

export interface TokenRequest {
  org: string;
  user: string;
  ttlSeconds?: number;
  claimNames?: ClaimNames;
}

/** A signed token for `org` and `user` from `keys`, valid from now for `ttlSeconds` (default 12 h). */
export async function signLocalToken(keys: LocalKeySet, request: TokenRequest): Promise<string> {
  const { org, user, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS, claimNames = DEFAULT_CLAIM_NAMES } = request;
  if (!ORG_ID.test(org)) throw new RangeError(`organization "${org}" must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  if (user.trim() === '' || user.length > 256) throw new RangeError('user must be 1-256 characters');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TOKEN_TTL_SECONDS) {
    throw new RangeError(`the lifetime must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS} (30 days), got ${ttlSeconds}`);
  }
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ [claimNames.org]: org, [claimNames.user]: user })
    .setProtectedHeader({ alg: LOCAL_ALGORITHM, kid: keys.kid, typ: 'JWT' })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + ttlSeconds)
    .setJti(randomUUID())
    .sign(keys.privateKey);
}

/** `ibs token`: a token signed with the key of `dataDir`, which the service created on its first start there. */
export async function mintLocalToken(request: TokenRequest & { dataDir: string }): Promise<string> {
  let keys: LocalKeySet;
  try {
    keys = await loadLocalKeySet(request.dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`no token signing key in ${authDirOf(request.dataDir)}: start the service once with this data directory (IBS_DATA_DIR) first`, {
        cause: error,
      });
    }
    throw error;
  }
  return signLocalToken(keys, request);
}
