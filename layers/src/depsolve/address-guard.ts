/**
 * Fetching user-supplied repositories on AWS without reaching inside the network: only http(s), and every connection
 * (redirects and metalink/mirrorlist mirrors included) goes only to a public address. The address is checked in the
 * socket's own `lookup`, so the address checked is the address connected to (no DNS rebinding window).
 */
import type { LookupAddress } from 'node:dns';
import type * as http from 'node:http';
import type { BlockList, LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import type { FetchFn } from './repo-metadata.ts';

const RANGES: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'an unspecified ("this network") address'],
  ['10.0.0.0', 8, 'ipv4', 'a private address'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (CGNAT) address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address (instance metadata)'],
  ['172.16.0.0', 12, 'ipv4', 'a private address'],
  ['192.0.0.0', 24, 'ipv4', 'a reserved address'],
  ['192.168.0.0', 16, 'ipv4', 'a private address'],
  ['198.18.0.0', 15, 'ipv4', 'a reserved address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address'],
  ['::', 128, 'ipv6', 'an unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['fec0::', 10, 'ipv6', 'a site-local address'],
  ['fc00::', 7, 'ipv6', 'a private (unique local) address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
];

// node:net and node:dns load on the first check: a cold process that reads only stored indexes never fetches.
const net = () => process.getBuiltinModule('node:net');
const isIP = (s: string): number => net().isIP(s);
let lists: { list: BlockList; type: 'ipv4' | 'ipv6'; why: string }[] | undefined;

function blockLists(): NonNullable<typeof lists> {
  lists ??= RANGES.map(([subnet, prefix, type, why]) => {
    const list = new (net().BlockList)();
    list.addSubnet(subnet, prefix, type);
    return { list, type, why };
  });
  return lists;
}

/** Why `address` is not a public address (undefined when it is). IPv4 embedded in IPv6 (mapped, NAT64, 6to4) counts as IPv4. */
export function refusedAddressReason(address: string): string | undefined {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(ip);
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const v4 = embeddedIpv4(ip);
    if (v4) return refusedAddressReason(v4);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return blockLists().find((l) => l.type === type && l.list.check(ip, type))?.why;
}

function embeddedIpv4(ip: string): string | undefined {
  const lower = ip.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::|::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const words = expandIpv6(lower);
  if (!words) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  // ::ffff:a.b.c.d (mapped), 64:ff9b::a.b.c.d (NAT64), ::a.b.c.d (compatible) and 2002:AABB:CCDD::/48 (6to4).
  if (words.slice(0, 5).every((w) => w === 0) && (words[5] === 0xffff || (words[5] === 0 && words[6] !== 0))) return v4(words[6], words[7]);
  if (words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0)) return v4(words[6], words[7]);
  if (words[0] === 0x2002) return v4(words[1], words[2]);
  return undefined;
}

function expandIpv6(ip: string): number[] | undefined {
  if (ip.includes('.')) return undefined;
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = ip.includes('::') ? 8 - h.length - t.length : 0;
  const words = [...h, ...Array(fill).fill('0'), ...t].map((w) => parseInt(w, 16));
  return words.length === 8 ? words : undefined;
}

/** A refused connection: names the host, the address and why. */
export class AddressRefusedError extends Error {}

type Lookup = LookupFunction;

/** Wrap a resolver so that it only ever hands public addresses to the socket; `isRefused` is replaceable for tests. */
export function publicOnlyLookup(lookup?: Lookup, isRefused = refusedAddressReason): Lookup {
  return ((hostname: string, options: { all?: boolean }, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    lookup ??= process.getBuiltinModule('node:dns').lookup as unknown as Lookup;
    lookup(hostname, { ...options, all: true }, (err, result) => {
      if (err) return callback(err, '');
      const all = (Array.isArray(result) ? result : [{ address: result as string, family: 4 }]) as LookupAddress[];
      const allowed = all.filter((a) => !isRefused(a.address));
      if (!allowed.length) {
        const first = all[0];
        return callback(new AddressRefusedError(`${hostname} resolves to ${first?.address ?? 'nothing'}, ${first ? isRefused(first.address) : 'no address'}: only public addresses are allowed`), '');
      }
      if (options.all) callback(null, allowed);
      else callback(null, allowed[0].address, allowed[0].family);
    });
  }) as Lookup;
}

export interface GuardedFetchOptions {
  /** The resolver (default: dns.lookup); tests pass a stub. */
  lookup?: Lookup;
  /** Replaces the public-address test (tests only). */
  isRefused?: (address: string) => string | undefined;
  maxRedirects?: number;
  /** Do not verify TLS certificates (a repository's `sslverify=0`); the address checks stay. */
  insecure?: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * A `fetch` for GET requests over node:http(s) that refuses non-http(s) URLs and non-public addresses on every hop:
 * IP literals are checked before connecting, host names in the socket's lookup; redirects are followed by hand.
 */
export function createGuardedFetch(opts: GuardedFetchOptions = {}): FetchFn {
  const isRefused = opts.isRefused ?? refusedAddressReason;
  const lookup = publicOnlyLookup(opts.lookup, isRefused);
  const maxRedirects = opts.maxRedirects ?? 10;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    let url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    for (let hop = 0; ; hop++) {
      const res = await requestOnce(url, lookup, isRefused, init?.signal ?? undefined, opts.insecure ?? false);
      const location = res.headers.location;
      if (REDIRECTS.has(res.statusCode ?? 0) && location) {
        res.resume();
        if (hop >= maxRedirects) throw new AddressRefusedError(`more than ${maxRedirects} redirects from ${url}`);
        url = new URL(location, url);
        continue;
      }
      return responseOf(res);
    }
  }) as FetchFn;
}

/**
 * The answer as the metadata readers use a Response (status, headers.get, a web body; text/arrayBuffer/json too),
 * without Node's Response and Headers: their first use loads Node's fetch implementation, ~30 ms of a cold process.
 */
function responseOf(res: http.IncomingMessage): Response {
  const status = res.statusCode ?? 500;
  const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
  if (!body) res.resume();
  const header = (name: string): string | null => {
    const v = res.headers[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  };
  const bytes = async (): Promise<Uint8Array> => {
    const parts: Uint8Array[] = [];
    if (body) for await (const c of body as unknown as AsyncIterable<Uint8Array>) parts.push(c);
    return Buffer.concat(parts);
  };
  const text = async () => new TextDecoder().decode(await bytes());
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusMessage ?? '',
    redirected: false,
    headers: { get: header, has: (name: string) => header(name) !== null },
    body,
    text,
    json: async () => JSON.parse(await text()) as unknown,
    arrayBuffer: async () => {
      const b = await bytes();
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    },
  } as unknown as Response;
}

async function requestOnce(url: URL, lookup: Lookup, isRefused: (a: string) => string | undefined, signal: AbortSignal | undefined, insecure: boolean): Promise<http.IncomingMessage> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AddressRefusedError(`${url.protocol}// URLs are not allowed (${url}): only http and https`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const why = isRefused(host);
    if (why) throw new AddressRefusedError(`${host} is ${why}: only public addresses are allowed (${url})`);
  }
  // node:http(s) (and tls) are loaded on the first request: a cold process that reads only stored indexes never needs them.
  const client = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = client.get(url, { lookup, signal, agent: false, headers: { 'accept-encoding': 'identity' }, ...(insecure ? { rejectUnauthorized: false } : {}) }, resolve);
    req.on('error', reject);
  });
}
