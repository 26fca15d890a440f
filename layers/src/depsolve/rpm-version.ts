/** RPM version comparison, a faithful port of rpm 4.18's `rpmvercmp` and EVR handling. */

export interface Evr {
  epoch: number;
  version: string;
  /** Empty string when the release is not given (e.g. `Requires: foo >= 1.0`). */
  release: string;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAlnum = (c: number): boolean => isDigit(c) || isAlpha(c);
const TILDE = 126;
const CARET = 94;

/** Compare two version (or release) strings exactly like rpm: returns -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let one = 0;
  let two = 0;
  const la = a.length;
  const lb = b.length;
  while (one < la || two < lb) {
    // Skip separators: anything that is not alnum, ~ or ^.
    while (one < la && !isAlnum(a.charCodeAt(one)) && a.charCodeAt(one) !== TILDE && a.charCodeAt(one) !== CARET) one++;
    while (two < lb && !isAlnum(b.charCodeAt(two)) && b.charCodeAt(two) !== TILDE && b.charCodeAt(two) !== CARET) two++;

    // Tilde sorts before everything, even the end of the string.
    const ta = one < la && a.charCodeAt(one) === TILDE;
    const tb = two < lb && b.charCodeAt(two) === TILDE;
    if (ta || tb) {
      if (!ta) return 1;
      if (!tb) return -1;
      one++;
      two++;
      continue;
    }

    // Caret sorts after the end of the string but before anything else.
    const ca = one < la && a.charCodeAt(one) === CARET;
    const cb = two < lb && b.charCodeAt(two) === CARET;
    if (ca || cb) {
      if (one >= la) return -1;
      if (two >= lb) return 1;
      if (!ca) return 1;
      if (!cb) return -1;
      one++;
      two++;
      continue;
    }

    if (!(one < la && two < lb)) break;

    let p1 = one;
    let p2 = two;
    let isnum: boolean;
    if (isDigit(a.charCodeAt(p1))) {
      while (p1 < la && isDigit(a.charCodeAt(p1))) p1++;
      while (p2 < lb && isDigit(b.charCodeAt(p2))) p2++;
      isnum = true;
    } else {
      while (p1 < la && isAlpha(a.charCodeAt(p1))) p1++;
      while (p2 < lb && isAlpha(b.charCodeAt(p2))) p2++;
      isnum = false;
    }

    // Segment of a differs in type from b's: numeric is newer than alpha.
    if (p1 === one) return -1; // cannot happen: a's segment is never empty here
    if (p2 === two) return isnum ? 1 : -1;

    let s1 = a.slice(one, p1);
    let s2 = b.slice(two, p2);
    if (isnum) {
      s1 = stripLeadingZeros(s1);
      s2 = stripLeadingZeros(s2);
      if (s1.length > s2.length) return 1;
      if (s2.length > s1.length) return -1;
    }
    if (s1 !== s2) return s1 < s2 ? -1 : 1;
    one = p1;
    two = p2;
  }

  if (one >= la && two >= lb) return 0;
  // Whichever string has characters left wins.
  return one >= la ? -1 : 1;
}

function stripLeadingZeros(s: string): string {
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return i === 0 ? s : s.slice(i);
}

/** Parse `[E:]V[-R]` as rpm does for dependency versions. */
export function parseEvr(s: string): Evr {
  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon > 0 && /^\d+$/.test(s.slice(0, colon))) {
    epoch = Number(s.slice(0, colon));
    rest = s.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) return { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
  return { epoch, version: rest, release: '' };
}

export function formatEvr(e: Evr): string {
  return `${e.epoch ? `${e.epoch}:` : ''}${e.version}${e.release ? `-${e.release}` : ''}`;
}

/** Full comparison of two packages' EVRs (missing release compares as empty, like rpmVersionCompare). */
export function compareEvr(a: Evr, b: Evr): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  const v = rpmvercmp(a.version, b.version);
  if (v !== 0) return v;
  return rpmvercmp(a.release, b.release);
}

/**
 * Comparison used for dependency ranges (rpmdsCompare / libsolv EVRCMP_MATCH_RELEASE): a release missing on either
 * side matches any release.
 */
export function compareEvrForMatch(a: Evr, b: Evr): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  const v = rpmvercmp(a.version, b.version);
  if (v !== 0) return v;
  if (!a.release || !b.release) return 0;
  return rpmvercmp(a.release, b.release);
}
