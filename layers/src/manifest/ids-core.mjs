// osbuild pipeline/stage id calculation, shared by the TypeScript domain code (ids.ts re-exports it with
// types) and the plain-JS osbuild test double (which must run without a build step). One implementation only.
//
// Algorithm: osbuild 191 `Stage.id`, `Input.calc_id`, `Device.calc_id`, `Mount.calc_id`, `Source.id`
// (osbuild/pipeline.py, inputs.py, devices.py, mounts.py, sources.py); every value is hashed as Python's
// `json.dumps(x, sort_keys=True)`, so the serializer below reproduces CPython's json module byte for byte.
import { createHash } from 'node:crypto';

/** A JSON number that Python would see as a float (e.g. `1.0`), kept distinct from the int `1`. */
export class PyFloat {
  /** @param {number} value */
  constructor(value) {
    this.value = value;
  }
  toJSON() {
    return this.value;
  }
}

const SHORT_ESCAPES = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** Python `json.dumps` string encoding with ensure_ascii=True: everything outside ' '..'~' becomes \uXXXX. */
export function pythonJsonString(s) {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    if (i > start) out += s.slice(start, i);
    const ch = s[i];
    // JS strings are UTF-16, so astral characters already arrive as the surrogate pair Python emits.
    out += SHORT_ESCAPES[ch] ?? '\\u' + c.toString(16).padStart(4, '0');
    start = i + 1;
  }
  if (start < s.length) out += s.slice(start);
  return out + '"';
}

/** CPython `float.__repr__` (shortest round-trip digits, 'r' format rules). */
export function pythonFloatRepr(x) {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument yields the shortest digits that round-trip, like Python's dtoa mode 0.
  const [mant, expStr] = Math.abs(x).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exp = Number(expStr);
  const decpt = exp + 1;
  if (decpt <= -4 || decpt > 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

// Python sorts str keys by code point; JS `<` compares UTF-16 code units, which differs for astral characters.
function compareCodePoints(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1; // a surrogate (astral) is above any BMP char outside the surrogate block
    return x - y;
  }
  return a.length - b.length;
}

function sortedKeys(obj) {
  const keys = Object.keys(obj);
  let plain = true;
  for (const k of keys) {
    for (let i = 0; i < k.length; i++) {
      const c = k.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) {
        plain = false;
        break;
      }
    }
    if (!plain) break;
  }
  return plain ? keys.sort() : keys.sort(compareCodePoints);
}

/**
 * Serialize like CPython `json.dumps(value, sort_keys=...)` with default separators (", ", ": ") and
 * ensure_ascii. Integers print as ints, non-integral numbers and PyFloat as Python float repr, bigint as int.
 * Object keys keep insertion order unless sortKeys. `undefined` members are skipped (JS has no such Python value).
 * @param {unknown} value
 * @param {{sortKeys?: boolean}} [opts]
 * @returns {string}
 */
export function pythonJsonDumps(value, opts = {}) {
  const sortKeys = opts.sortKeys ?? false;
  const parts = [];
  const emit = (v) => {
    if (v === null || v === undefined) {
      parts.push('null');
    } else if (typeof v === 'string') {
      parts.push(pythonJsonString(v));
    } else if (typeof v === 'number') {
      parts.push(Number.isInteger(v) ? (Math.abs(v) < 1e21 ? String(v) : BigInt(v).toString()) : pythonFloatRepr(v));
    } else if (typeof v === 'boolean') {
      parts.push(v ? 'true' : 'false');
    } else if (typeof v === 'bigint') {
      parts.push(v.toString());
    } else if (v instanceof PyFloat) {
      parts.push(pythonFloatRepr(v.value));
    } else if (Array.isArray(v)) {
      if (v.length === 0) {
        parts.push('[]');
        return;
      }
      parts.push('[');
      for (let i = 0; i < v.length; i++) {
        if (i > 0) parts.push(', ');
        emit(v[i]);
      }
      parts.push(']');
    } else if (typeof v === 'object') {
      const keys = sortKeys ? sortedKeys(v) : Object.keys(v);
      let first = true;
      parts.push('{');
      for (const k of keys) {
        const item = v[k];
        if (item === undefined) continue;
        if (!first) parts.push(', ');
        first = false;
        parts.push(pythonJsonString(k), ': ');
        emit(item);
      }
      parts.push('}');
    } else {
      throw new TypeError(`Object of type ${typeof v} is not JSON serializable`);
    }
  };
  emit(value);
  return parts.join('');
}

/**
 * JSON.parse that keeps what Python's json.loads would see: numbers written with a fraction or exponent
 * become PyFloat, integers beyond 2^53 become bigint. Use it to read manifests whose ids must match osbuild.
 * @param {string} text
 */
export function parsePythonJson(text) {
  // Fast path: when no number token has a fraction, exponent or 16+ digits, JSON.parse is exact.
  if (!/[0-9][.eE]|[0-9]{16}/.test(text) || !hasSpecialNumber(text)) return JSON.parse(text);
  return parseSlow(text);
}

// Scans outside string literals for a float-looking or huge number token.
function hasSpecialNumber(text) {
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inStr) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inStr = false;
      continue;
    }
    if (c === 0x22) {
      inStr = true;
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < text.length && /[0-9.eE+-]/.test(text[j])) j++;
      const tok = text.slice(i, j);
      if (/[.eE]/.test(tok) || tok.replace('-', '').length > 15) return true;
      i = j - 1;
    }
  }
  return false;
}

function parseSlow(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (msg) => {
    throw new SyntaxError(`${msg} at position ${i}`);
  };
  // The comma-separated members of an object or array, from its opening bracket to `close`.
  const items = (close, item) => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === close) {
        i++;
        return;
      }
      fail(`Expected "," or "${close}"`);
    }
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      const obj = {};
      items('}', () => {
        ws();
        if (text[i] !== '"') fail('Expected string key');
        const k = str();
        ws();
        if (text[i++] !== ':') fail('Expected ":"');
        const v = value();
        if (k === '__proto__') Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
        else obj[k] = v;
      });
      return obj;
    }
    if (c === '[') {
      const arr = [];
      items(']', () => arr.push(value()));
      return arr;
    }
    if (c === '"') return str();
    const m = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m) {
      i += m[0].length;
      if (m[1] || m[2]) return new PyFloat(Number(m[0]));
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    for (const [lit, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return v;
      }
    }
    return fail('Unexpected token');
  };
  const str = () => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const v = value();
  ws();
  if (i !== text.length) fail('Unexpected trailing data');
  return v;
}

/** sha256 over successive update() calls, hex digest — osbuild's `m.update(a); m.update(b); ...`. */
export function sha256Hex(...chunks) {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c, 'utf8');
  return h.digest('hex');
}

const J = (v) => pythonJsonDumps(v, { sortKeys: true });

/** Input references in any manifest form → {ref: options}. Mirrors v2.load_input's make_ref. */
export function normalizeReferences(refs) {
  if (refs === undefined || refs === null) return {};
  if (!Array.isArray(refs)) return refs;
  const out = {};
  for (const ref of refs) {
    if (typeof ref === 'string') out[ref] = {};
    else if (ref && typeof ref === 'object') out[ref.id] = ref.options ?? {};
    else throw new Error(`Invalid reference: ${JSON.stringify(ref)}`);
  }
  return out;
}

function emptyToObj(o) {
  // Python `options or {}`: None, {} and other falsy values hash as {}.
  return o === undefined || o === null || o === false || o === 0 || o === '' ? {} : o;
}

/** The id of an `org.osbuild.*` source as the monitor shows it: H(J(type), J(items)). */
export function computeSourceId(type, items) {
  return sha256Hex(J(type), J(items ?? {}));
}

// Devices are loaded parents-first (v2.sort_devices); a device id hashes its parent's id.
function computeDeviceIds(devices) {
  const ids = {};
  const todo = Object.keys(devices ?? {});
  while (todo.length) {
    const before = todo.length;
    for (let i = 0; i < todo.length; ) {
      const name = todo[i];
      const d = devices[name];
      const parent = d.parent;
      if (parent && !(parent in ids)) {
        if (!todo.includes(parent)) throw new Error(`Missing parent device '${parent}' for '${name}'`);
        i++;
        continue;
      }
      const chunks = [J(d.type)];
      if (parent) chunks.push(J(ids[parent]));
      chunks.push(J(emptyToObj(d.options)));
      ids[name] = sha256Hex(...chunks);
      todo.splice(i, 1);
    }
    if (todo.length === before) throw new Error("Cycle detected in 'devices'");
  }
  return ids;
}

/**
 * Compute every stage and pipeline id of an osbuild v2 manifest exactly as `osbuild --inspect` reports them.
 * Also returns the resolved input references (pipeline refs become ids; raw ids are dropped, as osbuild does).
 * @param {any} manifest
 */
export function computeManifestIds(manifest) {
  const pipelineIds = new Map();
  const resolveName = (ref) => {
    const name = ref.slice(5);
    if (!pipelineIds.has(name)) throw new Error(`Unknown pipeline reference: name:${name}`);
    return pipelineIds.get(name);
  };
  const pipelines = [];
  for (const pl of manifest.pipelines ?? []) {
    let build = pl.build ?? null;
    if (typeof build === 'string' && build.startsWith('name:')) build = resolveName(build);
    const sourceEpoch = pl['source-epoch'];
    const stages = [];
    let base = null;
    for (const st of pl.stages ?? []) {
      const chunks = [J(st.type), J(build), J(base), J(emptyToObj(st.options))];
      if (sourceEpoch !== undefined && sourceEpoch !== null) chunks.push(J(sourceEpoch));
      const inputIds = {};
      const resolvedInputs = {};
      let hasInputs = false;
      for (const [name, ip] of Object.entries(st.inputs ?? {})) {
        let refs = normalizeReferences(ip.references);
        if (ip.origin === 'org.osbuild.pipeline') {
          const resolved = {};
          for (const [r, o] of Object.entries(refs)) {
            if (!r.startsWith('name:')) continue;
            resolved[resolveName(r)] = o;
          }
          refs = resolved;
        }
        const normRefs = {};
        for (const [r, o] of Object.entries(refs)) normRefs[r] = emptyToObj(o);
        inputIds[name] = sha256Hex(J(ip.type), J(ip.origin), J(normRefs), J(emptyToObj(ip.options)));
        resolvedInputs[name] = normRefs;
        hasInputs = true;
      }
      if (hasInputs) chunks.push(J(inputIds));
      const devIds = computeDeviceIds(st.devices);
      const mounts = st.mounts ?? [];
      if (mounts.length) {
        const mountIds = mounts.map((m) => {
          const mc = [J(m.type)];
          if (m.source) {
            if (!(m.source in devIds)) throw new Error(`Unknown device '${m.source}' for mount '${m.name}'`);
            mc.push(J(devIds[m.source]));
          }
          if (m.partition) mc.push(J(m.partition));
          if (m.target) mc.push(J(m.target));
          mc.push(J(m.options === undefined ? {} : m.options));
          return sha256Hex(...mc);
        });
        chunks.push(pythonJsonDumps(mountIds));
      }
      const id = sha256Hex(...chunks);
      stages.push({ type: st.type, id, inputs: resolvedInputs });
      base = id;
    }
    const id = stages.length ? stages[stages.length - 1].id : null;
    if (pipelineIds.has(pl.name)) throw new Error(`Name ${pl.name} already exists`);
    pipelineIds.set(pl.name, id);
    pipelines.push({ name: pl.name, id, build, stages });
  }
  const sources = Object.entries(manifest.sources ?? {}).map(([type, src]) => ({
    type,
    id: computeSourceId(type, src?.items ?? {}),
  }));
  return { pipelines, sources };
}
