/**
 * A package's checksum, location and source rpm turned into their stored forms (index-compaction.ts) straight from
 * primary.xml's bytes, so that the per-package strings (digests, hrefs, .src.rpm names: over half the interned bytes)
 * are never interned and the index needs no compaction pass. Anything unusual (entities, non-ASCII, odd checksums)
 * goes through the same string logic as index-compaction.ts.
 */
import type { ByteStringTable } from './byte-string-table.ts';
import { compactChecksum, compactSourcerpm, DERIVED_LOCATION, DIGEST_BYTES, RAW_DIGEST, SOURCE_NAME, derivedLocation } from './index-compaction.ts';
import { decodeEntities } from './xml-scanner.ts';

const AMP = 0x26;
const PACKAGES = Buffer.from('Packages/', 'latin1');
const SRC_RPM = Buffer.from('.src.rpm', 'latin1');
const RPM = Buffer.from('.rpm', 'latin1');

/** A value's [start, end) in the package's buffer; start -1 when absent. */
export type Range = Int32Array;

const hasAmp = (buf: Buffer, a: number, b: number): boolean => {
  for (let k = a; k < b; k++) if (buf[k] === AMP) return true;
  return false;
};

const noAmp = (buf: Buffer, r: Range): boolean => r[0] < 0 || !hasAmp(buf, r[0], r[1]);

const text = (buf: Buffer, r: Range): string => (r[0] < 0 ? '' : decodeEntities(buf.toString('utf8', r[0], r[1])));

/** Does buf[at...] hold `part` (a value range of buf, or bytes)? Returns the position after it, or -1. */
function expect(buf: Buffer, at: number, end: number, src: Uint8Array, a: number, b: number): number {
  if (at < 0 || end - at < b - a) return -1;
  for (let k = a; k < b; k++) if (buf[at++] !== src[k]) return -1;
  return at;
}

const hexVal = (c: number): number => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1);
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c;

/** The package's pkgs[P_CHECKSUM]: RAW_DIGEST | the algorithm's id with the digest written at digests[at], or a string id. */
export function storedChecksum(st: ByteStringTable, buf: Buffer, type: Range, value: Range, digests: Uint8Array, at: number): number {
  if (value[0] < 0) return 0;
  let a = value[0];
  let b = value[1];
  while (a < b && isSpace(buf[a])) a++;
  while (b > a && isSpace(buf[b - 1])) b--;
  let plainType = type[0] < 0 || type[1] > type[0];
  for (let k = type[0]; plainType && k < type[1]; k++) plainType = buf[k] > 0x20 && buf[k] < 0x7f && buf[k] !== 0x3a && buf[k] !== AMP;
  if (plainType && b - a === 2 * DIGEST_BYTES) {
    let ok = true;
    for (let k = 0; ok && k < DIGEST_BYTES; k++) {
      const hi = hexVal(buf[a + 2 * k]);
      const lo = hexVal(buf[a + 2 * k + 1]);
      ok = hi >= 0 && lo >= 0;
      digests[at + k] = (hi << 4) | lo;
    }
    if (ok) return ((type[0] < 0 ? st.intern('sha256') : st.internBytes(buf, type[0], type[1])) | RAW_DIGEST) >>> 0;
    digests.fill(0, at, at + DIGEST_BYTES);
  }
  // As primary-parser.ts and index-compaction.ts always did: "type:value" (latin1, trimmed), then its compact form.
  const checksum = `${type[0] >= 0 ? buf.toString('latin1', type[0], type[1]) : 'sha256'}:${buf.toString('latin1', value[0], value[1]).trim()}`;
  return compactChecksum(st, checksum, digests, at) ?? st.intern(checksum);
}

/** pkgs[P_LOCATION]: DERIVED_LOCATION when the href is `Packages/<n>/<name>-<version>-<release>.<arch>.rpm`, else its id. */
export function storedLocation(st: ByteStringTable, buf: Buffer, href: Range, name: Range, ver: Range, rel: Range, arch: Range): number {
  if (href[0] < 0) return 0;
  const h = href[0];
  const e = href[1];
  const plain = !hasAmp(buf, h, e) && noAmp(buf, name) && noAmp(buf, ver) && noAmp(buf, rel) && noAmp(buf, arch) && name[1] > name[0] && buf[name[0]] < 0x80;
  if (plain) {
    const first = buf[name[0]];
    let at = expect(buf, h, e, PACKAGES, 0, PACKAGES.length);
    if (at >= 0 && at + 2 <= e && buf[at] === (first >= 0x41 && first <= 0x5a ? first + 0x20 : first) && buf[at + 1] === 0x2f) at += 2;
    else at = -1;
    at = expect(buf, at, e, buf, name[0], name[1]);
    at = at >= 0 && buf[at] === 0x2d ? expect(buf, at + 1, e, buf, Math.max(ver[0], 0), Math.max(ver[1], 0)) : -1;
    at = at >= 0 && buf[at] === 0x2d ? expect(buf, at + 1, e, buf, Math.max(rel[0], 0), Math.max(rel[1], 0)) : -1;
    at = at >= 0 && buf[at] === 0x2e ? expect(buf, at + 1, e, buf, Math.max(arch[0], 0), Math.max(arch[1], 0)) : -1;
    at = expect(buf, at, e, RPM, 0, RPM.length);
    if (at === e) return DERIVED_LOCATION;
    return st.internBytes(buf, h, e);
  }
  const location = text(buf, href);
  if (location === derivedLocation(text(buf, name), text(buf, ver), text(buf, rel), text(buf, arch))) return DERIVED_LOCATION;
  return st.intern(location);
}

/** pkgs[P_SOURCERPM]: SOURCE_NAME | the source name's id for `<source>-<version>-<release>.src.rpm`, else the rpm's id. */
export function storedSourcerpm(st: ByteStringTable, buf: Buffer, srpm: Range, ver: Range, rel: Range): number {
  if (srpm[0] < 0 || srpm[1] <= srpm[0]) return 0;
  const s = srpm[0];
  const e = srpm[1];
  const vLen = ver[0] < 0 ? 0 : ver[1] - ver[0];
  const rLen = rel[0] < 0 ? 0 : rel[1] - rel[0];
  if (noAmp(buf, srpm) && noAmp(buf, ver) && noAmp(buf, rel)) {
    const cut = e - (1 + vLen + 1 + rLen + SRC_RPM.length);
    if (cut <= s) return st.internBytes(buf, s, e);
    let at = buf[cut] === 0x2d ? expect(buf, cut + 1, e, buf, Math.max(ver[0], 0), Math.max(ver[0], 0) + vLen) : -1;
    at = at >= 0 && buf[at] === 0x2d ? expect(buf, at + 1, e, buf, Math.max(rel[0], 0), Math.max(rel[0], 0) + rLen) : -1;
    at = expect(buf, at, e, SRC_RPM, 0, SRC_RPM.length);
    return at === e ? (st.internBytes(buf, s, cut) | SOURCE_NAME) >>> 0 : st.internBytes(buf, s, e);
  }
  const rpm = text(buf, srpm);
  return compactSourcerpm(st, rpm, text(buf, ver), text(buf, rel)) ?? st.intern(rpm);
}
