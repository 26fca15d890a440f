/**
 * XML-RPC as Koji's hub speaks it (methodCall/methodResponse, faults, `nil`), enough for the content-generator calls:
 * values are JSON-like (numbers: whole → int, else double; Buffer → base64; null → nil).
 */
export type XmlRpcValue = null | boolean | number | string | Buffer | XmlRpcValue[] | { [key: string]: XmlRpcValue };

/** A fault the hub answered (faultCode, faultString). */
export class XmlRpcFault extends Error {
  constructor(
    readonly faultCode: number,
    readonly faultString: string,
  ) {
    super(`XML-RPC fault ${faultCode}: ${faultString}`);
    this.name = 'XmlRpcFault';
  }
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const unescapeXml = (text: string) =>
  text.replace(/&(lt|gt|quot|apos|amp|#x[0-9a-f]+|#\d+);/gi, (_m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[e.toLowerCase()]!,
  );

export function encodeValue(value: XmlRpcValue): string {
  if (value === null) return '<value><nil/></value>';
  if (typeof value === 'boolean') return `<value><boolean>${value ? 1 : 0}</boolean></value>`;
  if (typeof value === 'number') return Number.isInteger(value) ? `<value><int>${value}</int></value>` : `<value><double>${value}</double></value>`;
  if (typeof value === 'string') return `<value><string>${escapeXml(value)}</string></value>`;
  if (Buffer.isBuffer(value)) return `<value><base64>${value.toString('base64')}</base64></value>`;
  if (Array.isArray(value)) return `<value><array><data>${value.map(encodeValue).join('')}</data></array></value>`;
  const members = Object.entries(value).map(([k, v]) => `<member><name>${escapeXml(k)}</name>${encodeValue(v)}</member>`);
  return `<value><struct>${members.join('')}</struct></value>`;
}

export const encodeCall = (method: string, params: readonly XmlRpcValue[]): string =>
  `<?xml version="1.0"?><methodCall><methodName>${escapeXml(method)}</methodName><params>${params.map((p) => `<param>${encodeValue(p)}</param>`).join('')}</params></methodCall>`;

export const encodeResponse = (value: XmlRpcValue): string => `<?xml version="1.0"?><methodResponse><params><param>${encodeValue(value)}</param></params></methodResponse>`;

export const encodeFault = (code: number, message: string): string =>
  `<?xml version="1.0"?><methodResponse><fault>${encodeValue({ faultCode: code, faultString: message })}</fault></methodResponse>`;

/** A minimal XML element tree (no attributes needed by XML-RPC). */
interface Element {
  name: string;
  children: Element[];
  text: string;
}

function parseXml(xml: string): Element {
  const root: Element = { name: '#root', children: [], text: '' };
  const stack = [root];
  const token = /<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>|<\?[^>]*\?>|<!--[\s\S]*?-->|([^<]+)/g;
  for (const m of xml.matchAll(token)) {
    const top = stack.at(-1)!;
    if (m[4] !== undefined) top.text += unescapeXml(m[4]);
    else if (m[2] === undefined) continue;
    else if (m[1] === '/') {
      if (top.name !== m[2] || stack.length === 1) throw new Error(`XML-RPC: unbalanced </${m[2]}>`);
      stack.pop();
    } else {
      const element: Element = { name: m[2], children: [], text: '' };
      top.children.push(element);
      if (m[3] !== '/') stack.push(element);
    }
  }
  if (stack.length !== 1) throw new Error('XML-RPC: unterminated document');
  return root;
}

const child = (e: Element, name: string): Element => {
  const found = e.children.find((c) => c.name === name);
  if (!found) throw new Error(`XML-RPC: <${e.name}> has no <${name}>`);
  return found;
};

function decodeValue(value: Element): XmlRpcValue {
  const [typed] = value.children;
  if (!typed) return value.text; // untyped: a string
  switch (typed.name) {
    case 'nil':
      return null;
    case 'boolean':
      return typed.text.trim() === '1';
    case 'int':
    case 'i4':
    case 'i8':
    case 'double':
      return Number(typed.text.trim());
    case 'string':
      return typed.text;
    case 'base64':
      return Buffer.from(typed.text.trim(), 'base64');
    case 'array':
      return child(typed, 'data').children.filter((c) => c.name === 'value').map(decodeValue);
    case 'struct':
      return Object.fromEntries(typed.children.filter((c) => c.name === 'member').map((m) => [child(m, 'name').text, decodeValue(child(m, 'value'))]));
    default:
      throw new Error(`XML-RPC: unknown type <${typed.name}>`);
  }
}

const paramsOf = (e: Element): XmlRpcValue[] =>
  (e.children.find((c) => c.name === 'params')?.children ?? []).filter((p) => p.name === 'param').map((p) => decodeValue(child(p, 'value')));

export function decodeCall(xml: string): { method: string; params: XmlRpcValue[] } {
  const call = child(parseXml(xml), 'methodCall');
  return { method: child(call, 'methodName').text.trim(), params: paramsOf(call) };
}

/** The result of a methodResponse; a fault is thrown as XmlRpcFault. */
export function decodeResponse(xml: string): XmlRpcValue {
  const response = child(parseXml(xml), 'methodResponse');
  const fault = response.children.find((c) => c.name === 'fault');
  if (fault) {
    const f = decodeValue(child(fault, 'value')) as { faultCode?: number; faultString?: string };
    throw new XmlRpcFault(Number(f.faultCode ?? 0), String(f.faultString ?? ''));
  }
  const [first] = paramsOf(response);
  return first === undefined ? null : first;
}
