/**
 * Smaller stored indexes: sha256 checksums kept as raw digests, locations and source rpm names derived from the
 * package's name-version-release when they follow the usual pattern (only the exceptions stay strings), and the strings
 * nothing refers to any more left out of the table. Checksums, locations and source rpms were over half the string bytes.
 */
import type { ByteStringTable } from './byte-string-table.ts';
import { P_ARCH, P_CHECKSUM, P_EPOCH, P_LOCATION, P_NAME, P_RELEASE, P_SIZE, P_SOURCERPM, P_STRIDE, P_VERSION } from './repo-index.ts';

/** pkgs[P_CHECKSUM] with this bit: the low bits are the algorithm's string id, the digest is at digests[pkg * 32]. */
export const RAW_DIGEST = 0x80000000;
/** pkgs[P_SOURCERPM] with this bit: the low bits are the source name's id; the rpm is `<source>-<version>-<release>.src.rpm`. */
export const SOURCE_NAME = 0x80000000;
/** pkgs[P_LOCATION] equal to this: `Packages/<first letter, lower case>/<name>-<version>-<release>.<arch>.rpm`. */
export const DERIVED_LOCATION = 0xffffffff;
export const DIGEST_BYTES = 32;

/** The location a package gets when its metadata follows the usual layout. */
export function derivedLocation(name: string, version: string, release: string, arch: string): string {
  return `Packages/${name.charAt(0).toLowerCase()}/${name}-${version}-${release}.${arch}.rpm`;
}

/** The compacted string table and package and dependency arrays of an index being finished. */
export interface CompactStrings {
  strBytes: Uint8Array;
  strOff: Uint32Array;
  /** hashBytes of each kept string. */
  hashes: Uint32Array;
  digests: Uint8Array;
}

/** Rewrites `pkgs` and `deps` (string ids at every 3rd slot and the one after the next) in place. */
export function compactIndexStrings(st: ByteStringTable, pkgs: Uint32Array, count: number, deps: Uint32Array): CompactStrings {
  const text = (id: number): string => Buffer.from(st.arena.buffer, st.arena.byteOffset + st.offsets[id], st.offsets[id + 1] - st.offsets[id]).toString('utf8');
  const digests = new Uint8Array(count * DIGEST_BYTES);
  for (let p = 0; p < count; p++) derivePackageFields(st, text, pkgs, p, digests);
  // Mark what is still referenced; keep the order (id 0 = '' stays 0).
  const nStr = st.count;
  const keep = new Int32Array(nStr).fill(-1);
  keep[0] = 0;
  const mark = (id: number): void => {
    if (keep[id] < 0) keep[id] = 0;
  };
  for (let p = 0; p < count; p++) {
    for (let f = 0; f < P_STRIDE; f++) {
      const v = pkgs[p * P_STRIDE + f];
      if (f === P_EPOCH || f === P_SIZE || (f === P_LOCATION && v === DERIVED_LOCATION)) continue;
      mark((f === P_CHECKSUM || f === P_SOURCERPM) && v & RAW_DIGEST ? v & ~RAW_DIGEST : v);
    }
  }
  for (let d = 0; d < deps.length; d += 3) {
    mark(deps[d]);
    mark(deps[d + 2]);
  }
  let kept = 0;
  let bytes = 0;
  for (let id = 0; id < nStr; id++) {
    if (keep[id] < 0) continue;
    keep[id] = kept++;
    bytes += st.offsets[id + 1] - st.offsets[id];
  }
  const strBytes = new Uint8Array(bytes);
  const strOff = new Uint32Array(kept + 1);
  const hashes = new Uint32Array(kept);
  let at = 0;
  for (let id = 0; id < nStr; id++) {
    const k = keep[id];
    if (k < 0) continue;
    strOff[k] = at;
    hashes[k] = st.hashOf(id);
    strBytes.set(st.arena.subarray(st.offsets[id], st.offsets[id + 1]), at);
    at += st.offsets[id + 1] - st.offsets[id];
  }
  strOff[kept] = at;
  for (let p = 0; p < count; p++) {
    for (let f = 0; f < P_STRIDE; f++) {
      const i = p * P_STRIDE + f;
      const v = pkgs[i];
      if (f === P_EPOCH || f === P_SIZE || (f === P_LOCATION && v === DERIVED_LOCATION)) continue;
      pkgs[i] = (f === P_CHECKSUM || f === P_SOURCERPM) && v & RAW_DIGEST ? (keep[v & ~RAW_DIGEST] | RAW_DIGEST) >>> 0 : keep[v];
    }
  }
  for (let d = 0; d < deps.length; d += 3) {
    deps[d] = keep[deps[d]];
    deps[d + 2] = keep[deps[d + 2]];
  }
  return { strBytes, strOff, hashes, digests };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** A `type:hex` checksum's compact form: the type's id | RAW_DIGEST, the digest written at `at`; else undefined. */
export function compactChecksum(st: ByteStringTable, checksum: string, digests: Uint8Array, at: number): number | undefined {
  const colon = checksum.indexOf(':');
  const hex = checksum.slice(colon + 1);
  if (!(colon > 0 && HEX64.test(hex))) return undefined;
  digests.set(Buffer.from(hex, 'hex'), at);
  return (st.intern(checksum.slice(0, colon)) | RAW_DIGEST) >>> 0;
}

/** `<name>-<version>-<release>.src.rpm` as SOURCE_NAME | the name's id; else undefined. */
export function compactSourcerpm(st: ByteStringTable, srpm: string, version: string, release: string): number | undefined {
  const tail = `-${version}-${release}.src.rpm`;
  return srpm.length > tail.length && srpm.endsWith(tail) ? (st.intern(srpm.slice(0, -tail.length)) | SOURCE_NAME) >>> 0 : undefined;
}

/** Replace one package's checksum, location and source rpm by their compact forms where they have one. */
function derivePackageFields(st: ByteStringTable, text: (id: number) => string, pkgs: Uint32Array, p: number, digests: Uint8Array): void {
  const base = p * P_STRIDE;
  pkgs[base + P_CHECKSUM] = compactChecksum(st, text(pkgs[base + P_CHECKSUM]), digests, p * DIGEST_BYTES) ?? pkgs[base + P_CHECKSUM];
  const name = text(pkgs[base + P_NAME]);
  const version = text(pkgs[base + P_VERSION]);
  const release = text(pkgs[base + P_RELEASE]);
  if (name && text(pkgs[base + P_LOCATION]) === derivedLocation(name, version, release, text(pkgs[base + P_ARCH]))) {
    pkgs[base + P_LOCATION] = DERIVED_LOCATION;
  }
  pkgs[base + P_SOURCERPM] = compactSourcerpm(st, text(pkgs[base + P_SOURCERPM]), version, release) ?? pkgs[base + P_SOURCERPM];
}
