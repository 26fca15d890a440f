/**
 * User passwords never rest in plain text: as the hosted service does, a plain-text password becomes a SHA-512 crypt
 * hash before a request is stored, and no response echoes a password or its hash (`hasPassword` says one is set).
 */
import { randomBytes } from 'node:crypto';
import { cryptSalt, isCryptedPassword, sha512Crypt } from '../manifest/crypt.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Hashes a plain-text password with a fresh random salt; crypted values and the empty "no password" stay as they are. */
export type PasswordHasher = (password: string) => string;
export const hashPlainPassword: PasswordHasher = (password) =>
  password === '' || isCryptedPassword(password) ? password : sha512Crypt(password, cryptSalt(randomBytes(16)));

/**
 * Applies `change` to each user object of customizations, copying only what changes: the API's `users`, or a
 * composer blueprint's `user`.
 */
export function mapUsers(customizations: unknown, change: (user: Obj) => Obj, key: 'users' | 'user' = 'users'): unknown {
  if (!isObj(customizations) || !Array.isArray(customizations[key])) return customizations;
  return { ...customizations, [key]: (customizations[key] as unknown[]).map((u: unknown) => (isObj(u) ? change(u) : u)) };
}

/** The request as it may be stored: every plain-text user password replaced by its crypt hash. */
export function hashRequestPasswords<T extends { customizations?: unknown }>(request: T, hash: PasswordHasher = hashPlainPassword): T {
  if (request.customizations === undefined) return request;
  const customizations = mapUsers(request.customizations, (u) => (typeof u.password === 'string' ? { ...u, password: hash(u.password) } : u));
  return { ...request, customizations };
}

/** The request as it may be shown: no user carries a password or hash, only `hasPassword` when one is set. */
export function redactRequestPasswords(request: Record<string, unknown>): Record<string, unknown> {
  if (request.customizations === undefined) return request;
  const customizations = mapUsers(request.customizations, ({ password, hasPassword, ...rest }) => {
    const has = (typeof password === 'string' && password !== '') || hasPassword === true;
    return has ? { ...rest, hasPassword: true } : rest;
  });
  return { ...request, customizations };
}

/**
 * `hashRequestPasswords`, yielding to the event loop before each hash (one takes ~15 ms of CPU): a request with many
 * users is slower, but never holds other requests up for more than one hash.
 */
export async function hashRequestPasswordsYielding<T extends { customizations?: unknown }>(request: T, hash: PasswordHasher = hashPlainPassword): Promise<T> {
  const plain: string[] = [];
  hashRequestPasswords(request, (password) => {
    plain.push(password);
    return password;
  });
  const hashed: string[] = [];
  for (const password of plain) {
    await new Promise((resolve) => setImmediate(resolve));
    hashed.push(hash(password));
  }
  // The same walk in the same order: each password gets its own hash (and salt), even when two are equal.
  let next = 0;
  return hashRequestPasswords(request, () => hashed[next++]!);
}
