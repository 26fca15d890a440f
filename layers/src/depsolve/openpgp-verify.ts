/**
 * Detached OpenPGP signatures (RFC 4880 v4: RSA, EdDSA/Ed25519) checked with Node's crypto, for `repo_gpgcheck`:
 * repodata/repomd.xml.asc against the repository's keys, as librepo checks it. Nothing else of OpenPGP is needed:
 * keys are only parsed for their public key material (primary key and subkeys alike), signatures for one packet.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** A signature or key that cannot be read. */
export class OpenPgpError extends Error {}

/** The binary content of an ASCII-armored block (the CRC line is left out: the signature check covers integrity). */
export function dearmor(text: string): Buffer {
  const lines = text.replace(/\r/g, '').split('\n');
  const begin = lines.findIndex((l) => /^-----BEGIN PGP [A-Z ]+-----$/.test(l.trim()));
  if (begin < 0) throw new OpenPgpError('not an ASCII-armored OpenPGP block');
  let i = begin + 1;
  while (i < lines.length && lines[i].trim() !== '') i++; // armor headers end at the first empty line
  const body: string[] = [];
  for (i++; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l.startsWith('-----END') || l.startsWith('=')) break;
    body.push(l);
  }
  return Buffer.from(body.join(''), 'base64');
}

interface Packet {
  tag: number;
  body: Buffer;
}

function readPackets(buf: Buffer): Packet[] {
  const out: Packet[] = [];
  let at = 0;
  while (at < buf.length) {
    const head = buf[at++];
    if (!(head & 0x80)) throw new OpenPgpError('malformed packet header');
    let tag: number;
    let len: number;
    if (head & 0x40) {
      tag = head & 0x3f;
      const o1 = buf[at++];
      if (o1 < 192) len = o1;
      else if (o1 < 224) len = ((o1 - 192) << 8) + buf[at++] + 192;
      else if (o1 === 255) (len = buf.readUInt32BE(at)), (at += 4);
      else throw new OpenPgpError('partial-length packets are not supported here');
    } else {
      tag = (head >> 2) & 0x0f;
      const type = head & 3;
      if (type === 0) len = buf[at++];
      else if (type === 1) (len = buf.readUInt16BE(at)), (at += 2);
      else if (type === 2) (len = buf.readUInt32BE(at)), (at += 4);
      else len = buf.length - at;
    }
    if (at + len > buf.length) throw new OpenPgpError('truncated packet');
    out.push({ tag, body: buf.subarray(at, at + len) });
    at += len;
  }
  return out;
}

/** A multiprecision integer at `at`: its bytes and the offset after it. */
function mpi(b: Buffer, at: number): [Buffer, number] {
  const bits = b.readUInt16BE(at);
  const n = Math.ceil(bits / 8);
  return [b.subarray(at + 2, at + 2 + n), at + 2 + n];
}

const b64url = (b: Buffer): string => b.toString('base64url');
const ED25519_OID = '2b06010401da470f01';

/** The public keys (primary and subkeys, v4 RSA and Ed25519) of armored key blocks. */
export function readPublicKeys(armoredKeys: readonly string[]): KeyObject[] {
  const keys: KeyObject[] = [];
  for (const armored of armoredKeys) {
    for (const p of readPackets(dearmor(armored))) {
      if ((p.tag !== 6 && p.tag !== 14) || p.body[0] !== 4) continue;
      const algo = p.body[5];
      if (algo === 1 || algo === 2 || algo === 3) {
        const [n, next] = mpi(p.body, 6);
        const [e] = mpi(p.body, next);
        keys.push(createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' }));
      } else if (algo === 22) {
        const oidLen = p.body[6];
        if (p.body.subarray(7, 7 + oidLen).toString('hex') !== ED25519_OID) continue;
        const [point] = mpi(p.body, 7 + oidLen);
        if (point[0] === 0x40) keys.push(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(point.subarray(1)) }, format: 'jwk' }));
      } else if (algo === 27) {
        keys.push(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(p.body.subarray(6, 38)) }, format: 'jwk' }));
      }
    }
  }
  return keys;
}

const HASHES: Record<number, string> = { 2: 'sha1', 8: 'sha256', 9: 'sha384', 10: 'sha512', 11: 'sha224' };

const leftPad = (b: Buffer, n: number): Buffer => (b.length >= n ? b : Buffer.concat([Buffer.alloc(n - b.length), b]));

/** Whether one of the keys made the armored detached signature of `data` (binary or text document signatures). */
export function verifyDetachedSignature(data: Uint8Array, armoredSignature: string, keys: readonly KeyObject[]): boolean {
  const sigs = readPackets(dearmor(armoredSignature)).filter((p) => p.tag === 2);
  if (!sigs.length) throw new OpenPgpError('no signature packet');
  return sigs.some((p) => verifyOne(data, p.body, keys));
}

function verifyOne(data: Uint8Array, s: Buffer, keys: readonly KeyObject[]): boolean {
  if (s[0] !== 4) return false;
  const [type, algo, hashAlgo] = [s[1], s[2], s[3]];
  const hash = HASHES[hashAlgo];
  if (!hash || (type !== 0x00 && type !== 0x01)) return false;
  const hashedEnd = 6 + s.readUInt16BE(4);
  const unhashedEnd = hashedEnd + 2 + s.readUInt16BE(hashedEnd);
  const left16 = s.subarray(unhashedEnd, unhashedEnd + 2);
  const signed = s.subarray(0, hashedEnd);
  const trailer = Buffer.alloc(6);
  trailer.writeUInt8(4, 0);
  trailer.writeUInt8(0xff, 1);
  trailer.writeUInt32BE(signed.length, 2);
  // a text signature covers the document with CRLF line endings
  const doc = type === 0x01 ? Buffer.from(Buffer.from(data).toString('binary').replace(/\r?\n/g, '\r\n'), 'binary') : Buffer.from(data);
  const message = Buffer.concat([doc, signed, trailer]);
  const digest = createHash(hash).update(message).digest();
  if (!digest.subarray(0, 2).equals(left16)) return false;
  const at = unhashedEnd + 2;
  for (const key of keys) {
    try {
      if ((algo === 1 || algo === 3) && key.asymmetricKeyType === 'rsa') {
        const modulusBytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
        if (verify(hash, message, key, leftPad(mpi(s, at)[0], modulusBytes))) return true;
      } else if ((algo === 22 || algo === 27) && key.asymmetricKeyType === 'ed25519') {
        // EdDSA signs the digest; v4 legacy EdDSA carries R and S as two MPIs
        const sig = algo === 27 ? s.subarray(at, at + 64) : ((r, next) => Buffer.concat([leftPad(r, 32), leftPad(mpi(s, next)[0], 32)]))(...mpi(s, at));
        if (verify(null, digest, key, sig)) return true;
      }
    } catch {
      // a key of another kind or a malformed signature value: try the next key
    }
  }
  return false;
}
