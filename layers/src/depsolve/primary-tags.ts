/**
 * The tags, attributes and dependency flags primary-parser.ts recognizes, as bytes, and their lookups; the error a
 * malformed primary.xml raises.
 */
import { DEP_KINDS, KIND, REL_EQ, REL_GT, REL_LT } from './repo-index.ts';

export class PrimaryParseError extends Error {}

export const B = (s: string) => Buffer.from(s, 'latin1');
export const PKG_START = B('<package');
export const PKG_END = B('</package>');
export const A_EPOCH = B(' epoch="');
export const A_VER = B(' ver="');
export const A_REL = B(' rel="');
export const A_TYPE = B(' type="');
export const A_HREF = B(' href="');
export const A_BASE = B(' xml:base="');
export const A_PACKAGE = B(' package="');
export const A_PACKAGES = B(' packages="');

export const LT = 0x3c;
export const GT = 0x3e;
export const SLASH = 0x2f;
export const QUOTE = 0x22;
export const AMP = 0x26;

/** Element names, by name → handler code. */
export const T_NAME = 1;
export const T_ARCH = 2;
export const T_VERSION = 3;
export const T_CHECKSUM = 4;
export const T_SUMMARY = 5;
export const T_LOCATION = 6;
export const T_SIZE = 7;
export const T_LICENSE = 8;
export const T_SOURCERPM = 9;
export const T_ENTRY = 10;
export const T_FILE = 11;
export const T_PACKAGE = 12;
export const T_SECTION = 100; // + kind

/** Per-package value ranges kept until the package's end (at R_* * 2 and R_* * 2 + 1). */
export const R_NAME = 0;
export const R_ARCH = 1;
export const R_VER = 2;
export const R_REL = 3;
export const R_CKTYPE = 4;
export const R_CKVALUE = 5;
export const R_HREF = 6;
export const R_SRPM = 7;
export const R_TMP = 8;
export const R_COUNT = 9;

// Most frequent first: rpm:entry and file make up most tags.
export const TAGS = new Map<string, number>([
  ['rpm:entry', T_ENTRY],
  ['file', T_FILE],
  ['name', T_NAME],
  ['arch', T_ARCH],
  ['version', T_VERSION],
  ['checksum', T_CHECKSUM],
  ['summary', T_SUMMARY],
  ['location', T_LOCATION],
  ['size', T_SIZE],
  ['rpm:license', T_LICENSE],
  ['rpm:sourcerpm', T_SOURCERPM],
  ['package', T_PACKAGE],
  ...DEP_KINDS.map((k) => [`rpm:${k}`, T_SECTION + KIND[k]] as [string, number]),
]);
// Lookup by length, then first and last byte, then exact compare.
export const TAGS_BY_LENGTH: { bytes: Buffer; code: number }[][] = [];
for (const [name, code] of TAGS) (TAGS_BY_LENGTH[name.length] ??= []).push({ bytes: B(name), code });

export function tagCode(buf: Buffer, at: number, len: number): number {
  const list = TAGS_BY_LENGTH[len];
  if (list === undefined) return 0;
  for (let t = 0; t < list.length; t++) {
    const b = list[t].bytes;
    if (b[0] !== buf[at] || b[len - 1] !== buf[at + len - 1]) continue;
    let j = 1;
    while (j < len - 1 && b[j] === buf[at + j]) j++;
    if (j >= len - 1) return list[t].code;
  }
  return 0;
}

/** EQ, LT, GT, LE, GE as bytes → REL_* bits; -1 when unknown. */
export function flagCode(buf: Buffer, a: number, b: number): number {
  if (b - a !== 2) return -1;
  const x = buf[a];
  const y = buf[a + 1];
  if (x === 0x45 && y === 0x51) return REL_EQ;
  if (x === 0x4c && y === 0x54) return REL_LT;
  if (x === 0x47 && y === 0x54) return REL_GT;
  if (x === 0x4c && y === 0x45) return REL_LT | REL_EQ;
  if (x === 0x47 && y === 0x45) return REL_GT | REL_EQ;
  return -1;
}
