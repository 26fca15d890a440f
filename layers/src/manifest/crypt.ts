import { createHash } from 'node:crypto';

/**
 * SHA-512 crypt ("$6$", Drepper's SHA-crypt specification, 5000 rounds): composer hashes plain-text blueprint
 * passwords this way before they reach the users stage. The salt comes from the compose seed (determinism).
 */
const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const sha512 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
};

function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = block[i % block.length];
  return out;
}

const ORDER: [number, number, number][] = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51],
  [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60],
  [40, 61, 19], [62, 20, 41],
];

function b64(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[w & 0x3f];
    w >>= 6;
  }
  return out;
}

export function sha512Crypt(password: string, salt: string): string {
  const P = Buffer.from(password, 'utf8');
  const S = Buffer.from(salt.slice(0, 16), 'utf8');
  const B = sha512(P, S, P);
  const a = createHash('sha512').update(P).update(S);
  for (let n = P.length; n > 0; n -= 64) a.update(n > 64 ? B : B.subarray(0, n));
  for (let n = P.length; n > 0; n >>= 1) a.update(n & 1 ? B : P);
  let C = a.digest();
  const dp = createHash('sha512');
  for (let i = 0; i < P.length; i++) dp.update(P);
  const Pbytes = repeatTo(dp.digest(), P.length);
  const ds = createHash('sha512');
  for (let i = 0; i < 16 + C[0]; i++) ds.update(S);
  const Sbytes = repeatTo(ds.digest(), S.length);
  for (let i = 0; i < 5000; i++) {
    const h = createHash('sha512');
    h.update(i & 1 ? Pbytes : C);
    if (i % 3) h.update(Sbytes);
    if (i % 7) h.update(Pbytes);
    h.update(i & 1 ? C : Pbytes);
    C = h.digest();
  }
  let hash = '';
  for (const [x, y, z] of ORDER) hash += b64(C[x], C[y], C[z], 4);
  hash += b64(0, 0, C[63], 2);
  return `$6$${S.toString('utf8')}$${hash}`;
}

/** Already crypted (MD5, bcrypt, SHA-256/512, yescrypt, gost-yescrypt, scrypt): passed through, never hashed again. */
export const isCryptedPassword = (password: string): boolean => /^\$(1|2[abxy]?|5|6|y|gy|7)\$/.test(password);

/** A 16-character crypt salt from random bytes. */
export const cryptSalt = (bytes: Buffer): string => [...bytes.subarray(0, 16)].map((b) => ITOA64[b & 0x3f]).join('');
