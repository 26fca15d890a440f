/**
 * Seeded generators of hostile HTTP input for the API fuzz suite: path parameters (malformed %-escapes, huge numbers,
 * prototype keys), query strings, and JSON bodies mutated from valid samples (deep nesting, wrong types, `__proto__`
 * and `constructor` keys, numbers JSON.parse cannot represent) or not JSON at all.
 */
import fc from 'fast-check';

/** A JSON body as sent: its text, so numbers like 1e400 and `__proto__` keys survive exactly. */
export type RawBody = string;

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'];

export const hostileKey = fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 12 }), fc.constantFrom('', ' ', '\u0000', 'a'.repeat(300)));

/** Numbers as JSON text: some JSON.parse turns into Infinity, -0 or an unsafe integer. */
const rawNumbers = ['1e400', '-1e400', '-0', '123456789012345678901234567890', '9007199254740993', '0.1e-400', '1.5', '-1', '4294967296'];

const nested = (depth: number, open: string, close: string, leaf = '1') => `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;

/** A hostile JSON value as text. */
export const hostileValueText: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.constantFrom(...rawNumbers),
  fc.constantFrom('""', '" "', '"\\u0000"', '"\\ud800"', 'true', 'null', '[]', '{}', `"${'x'.repeat(5000)}"`, '"../../etc/shadow"', '"%E0%A4%A"'),
  fc.constantFrom(20, 33, 200, 5000).chain((d) => fc.constantFrom(nested(d, '[', ']'), nested(d, '{"a":', '}'))),
  fc.tuple(fc.constantFrom(...PROTO_KEYS), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => `{${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}}`),
  fc.array(fc.constantFrom(...rawNumbers, '"x"', '{}'), { maxLength: 5 }).map((xs) => `[${xs.join(',')}]`),
);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Paths (key lists) to every value of a JSON document, the root included. */
function pathsOf(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

export interface Mutation {
  /** Which value of the document (index into its paths, modulo their number). */
  at: number;
  kind: 'replace' | 'delete' | 'add-key' | 'wrap-in-array';
  key: string;
  value: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('replace', 'delete', 'add-key', 'wrap-in-array'),
  key: hostileKey,
  value: hostileValueText,
});

/** Placeholders that stand for raw JSON text in the document until it is serialized. */
const placeholder = (i: number) => `\u0001raw${i}\u0001`;

/** Applies mutations to a copy of `sample` and serializes it; hostile values go in as raw JSON text. */
export function mutate(sample: Json, mutations: readonly Mutation[]): RawBody {
  const doc = structuredClone(sample) as Json;
  const raws: string[] = [];
  let root: Json = doc;
  for (const m of mutations) {
    const paths = pathsOf(root);
    const path = paths[m.at % paths.length];
    const raw = placeholder(raws.push(m.value) - 1);
    if (path.length === 0) {
      root = m.kind === 'wrap-in-array' ? [root] : m.kind === 'add-key' && root && typeof root === 'object' && !Array.isArray(root) ? root : raw;
      if (m.kind === 'add-key' && root && typeof root === 'object' && !Array.isArray(root)) Object.defineProperty(root, m.key, { value: raw, enumerable: true, configurable: true, writable: true });
      continue;
    }
    const parent = path.slice(0, -1).reduce<Json>((node, k) => (node as Record<string, Json>)[k as string], root) as Record<string, Json> | Json[];
    const last = path[path.length - 1];
    const current = (parent as Record<string, Json>)[last as string];
    if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last as string];
    } else if (m.kind === 'wrap-in-array') {
      (parent as Record<string, Json>)[last as string] = [current];
    } else if (m.kind === 'add-key' && current && typeof current === 'object' && !Array.isArray(current)) {
      // defineProperty: an own "__proto__" key, as JSON.parse makes it, not a prototype change.
      Object.defineProperty(current, m.key, { value: raw, enumerable: true, configurable: true, writable: true });
    } else {
      (parent as Record<string, Json>)[last as string] = raw;
    }
  }
  let text = JSON.stringify(root) ?? 'null';
  raws.forEach((r, i) => {
    text = text.split(JSON.stringify(placeholder(i))).join(r);
  });
  return text;
}

/** Bodies that are not a JSON document of the right shape at all. */
const junkBody: fc.Arbitrary<RawBody> = fc.oneof(
  fc.constantFrom('', '{', '{"distribution": ', 'null', '[]', '"text"', '1e400', 'a=b&c=d', '\ufeff{}', '{"a":1,"a":2}'),
  fc.constantFrom(100, 5000, 100_000).chain((d) => fc.constantFrom(nested(d, '[', ']'), nested(d, '{"a":', '}'))),
  fc.string({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
);

/** A body for an operation whose valid request looks like `sample`. */
export const bodyFor = (sample: Json): fc.Arbitrary<RawBody> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => mutate(sample, ms)) },
    { weight: 1, arbitrary: fc.constant(JSON.stringify(sample)) },
    { weight: 3, arbitrary: junkBody },
  );

/** A path segment as it appears in the URL (already escaped, or deliberately mis-escaped). */
export const pathSegment = (valid: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...valid) },
    { weight: 3, arbitrary: fc.constantFrom('%E0%A4%A', '%', '%zz', '%C0%AF', '%00', '%2e%2e', '..', '.', '__proto__', 'constructor', '99999999999999999999999', '-1', '1e400', 'x'.repeat(3000), '%F0%9F%98%80', "'", '%2F') },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.uuid() },
  );

const queryValue = fc.oneof(
  fc.constantFrom('', '0', '1', '-1', '100', '101', '1000', '1e3', '1.5', '99999999999999999999', 'NaN', 'Infinity', 'abc', '__proto__', '%E0%A4%A', '%', 'x'.repeat(3000)),
  fc.integer().map(String),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

/** A query string over the operation's declared parameters, sometimes repeated or joined by unknown ones. */
export const queryFor = (names: readonly string[]): fc.Arbitrary<string> =>
  fc
    .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names, ...(names.length ? [] : ['x'])) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'x[y]', '') }), queryValue), { maxLength: 5 })
    .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));
