// Python repr() of JSON values, for messages that osbuild/jsonschema format with %r (e.g. "'lz4' is not one of [...]").
import { pythonFloatRepr } from '../../../layers/src/manifest/ids-core.mjs';

export function pyStrRepr(s) {
  // Python prefers single quotes unless the string contains ' and no ".
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

export function pyRepr(v) {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return pyStrRepr(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pythonFloatRepr(v);
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return '[' + v.map(pyRepr).join(', ') + ']';
  if (typeof v === 'object') {
    if ('value' in v && v.constructor?.name === 'PyFloat') return pythonFloatRepr(v.value);
    return '{' + Object.entries(v).map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`).join(', ') + '}';
  }
  return String(v);
}
