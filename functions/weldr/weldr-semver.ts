/**
 * coreos/go-semver's Version.Set, which composer's blueprint.Initialize() checks versions with: the same accepted
 * strings (leading zeros included) and the same error texts, so a refused push or workspace reads as composer's.
 */

export interface GoSemver {
  major: bigint;
  minor: bigint;
  patch: bigint;
}

const IDENTIFIER = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;
const INT64_MAX = 2n ** 63n - 1n;

/** strings.SplitN(s, sep, n). */
function splitN(s: string, sep: string, n: number): string[] {
  const parts: string[] = [];
  let rest = s;
  while (parts.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    parts.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  return [...parts, rest];
}

/** strconv.ParseInt(s, 10, 64) as composer reports its failures. */
function parseInt64(s: string): bigint | string {
  if (!/^[+-]?\d+$/.test(s)) return `strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`;
  const value = BigInt(s);
  if (value > INT64_MAX || value < -INT64_MAX - 1n) return `strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`;
  return value;
}

/** The parsed version, or go-semver's error message. */
export function parseGoSemver(input: string): GoSemver | string {
  const [rest, metadata = ''] = splitN(input, '+', 2);
  const [version, preRelease = ''] = splitN(rest, '-', 2);
  const dotParts = splitN(version, '.', 3);
  if (dotParts.length !== 3) return `${version} is not in dotted-tri format`;
  if (preRelease !== '' && !IDENTIFIER.test(preRelease)) return `failed to validate pre-release: ${preRelease} is not a valid semver identifier`;
  if (metadata !== '' && !IDENTIFIER.test(metadata)) return `failed to validate metadata: ${metadata} is not a valid semver identifier`;
  const [major, minor, patch] = dotParts.map(parseInt64);
  for (const part of [major, minor, patch]) if (typeof part === 'string') return part;
  return { major: major as bigint, minor: minor as bigint, patch: patch as bigint };
}

/** blueprint.BumpVersion: the patch level + 1, pre-release and metadata dropped; an unparsable old version: undefined. */
export function bumpGoSemver(old: string): string | undefined {
  const parsed = parseGoSemver(old);
  return typeof parsed === 'string' ? undefined : `${parsed.major}.${parsed.minor}.${parsed.patch + 1n}`;
}
