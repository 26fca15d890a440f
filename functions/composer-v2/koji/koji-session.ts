/**
 * A Koji hub session for content-generator imports, as osbuild-composer's internal/upload/koji makes them: login
 * through a configurable auth hook (SSL client certificate first: `sslLogin`; Kerberos/GSSAPI is not available here),
 * then calls carrying `session-id`, `session-key` and `callnum`; uploads in 1 MiB chunks checked by size and Adler-32,
 * each file's MD5 returned for the import metadata.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { decodeResponse, encodeCall, type XmlRpcValue } from './xmlrpc.ts';

/** The content generator name composer registers with Koji. */
export const KOJI_CONTENT_GENERATOR = 'osbuild';
const CHUNK_BYTES = 1024 * 1024;
/** koji BUILD_STATES: FAILED and CANCELED, for CGRefundBuild. */
export const KOJI_BUILD_STATE = { failed: 3, canceled: 4 } as const;

/** TLS material for the hub connection (client certificate for sslLogin, CA to trust). */
export interface KojiTls {
  cert?: string | Buffer;
  key?: string | Buffer;
  ca?: string | Buffer;
}

/** How a session is opened: the hook makes the login call (sslLogin with a client certificate, or a stand-in's). */
export interface KojiAuth {
  tls?: KojiTls;
  login(call: (method: string, params: XmlRpcValue[], path?: string) => Promise<XmlRpcValue>): Promise<{ sessionId: number; sessionKey: string }>;
}

/** SSL client certificate authentication: `sslLogin` at `<hub>/ssllogin`, as koji's own clients do. */
export const sslCertificateAuth = (tls: KojiTls): KojiAuth => ({
  tls,
  login: async (call) => {
    const reply = (await call('sslLogin', [], '/ssllogin')) as { 'session-id': number; 'session-key': string };
    return { sessionId: reply['session-id'], sessionKey: reply['session-key'] };
  },
});

/** Adler-32 of a chunk, as koji's upload verification computes it (8 hex digits). */
export function adler32Hex(data: Buffer): string {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; i += 3800) {
    const end = Math.min(i + 3800, data.length);
    for (let j = i; j < end; j++) {
      a += data[j]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return (((b << 16) | a) >>> 0).toString(16).padStart(8, '0');
}

function post(url: URL, body: Buffer, contentType: string, tls: KojiTls | undefined): Promise<string> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length }, ...(url.protocol === 'https:' ? tls : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`koji hub ${url.host} answered HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('error', (error) => reject(new Error(`koji hub ${url.host} unreachable: ${error.message}`, { cause: error })));
    req.end(body);
  });
}

export class KojiSession {
  private callnum = 0;

  private constructor(
    private readonly hub: URL,
    private readonly tls: KojiTls | undefined,
    private readonly session: { sessionId: number; sessionKey: string },
  ) {}

  /** Logs in to the hub (`server` is the XML-RPC endpoint, e.g. https://koji.example/kojihub). */
  static async open(server: string, auth: KojiAuth): Promise<KojiSession> {
    const hub = new URL(server);
    const call = async (method: string, params: XmlRpcValue[], path = '') => {
      const url = new URL(hub.href.replace(/\/$/, '') + path);
      return decodeResponse(await post(url, Buffer.from(encodeCall(method, params)), 'text/xml', auth.tls));
    };
    return new KojiSession(hub, auth.tls, await auth.login(call));
  }

  private sessionUrl(extra: Record<string, string> = {}): URL {
    const url = new URL(this.hub.href);
    url.searchParams.set('session-id', String(this.session.sessionId));
    url.searchParams.set('session-key', this.session.sessionKey);
    url.searchParams.set('callnum', String(this.callnum++));
    for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
    return url;
  }

  async call(method: string, params: XmlRpcValue[]): Promise<XmlRpcValue> {
    return decodeResponse(await post(this.sessionUrl(), Buffer.from(encodeCall(method, params)), 'text/xml', this.tls));
  }

  /** Reserves the build (name-version-release) before building: its id and the token the import must present. */
  async initBuild(nvr: { name: string; version: string; release: string }): Promise<{ buildId: number; token: string }> {
    const reply = (await this.call('CGInitBuild', [KOJI_CONTENT_GENERATOR, nvr])) as { build_id: number; token: string };
    return { buildId: reply.build_id, token: reply.token };
  }

  /** Uploads one file into the hub's staging `directory` in 1 MiB chunks; its size and MD5 (for the metadata). */
  async upload(chunks: AsyncIterable<Buffer>, directory: string, filename: string): Promise<{ size: number; md5: string }> {
    const md5 = createHash('md5');
    let offset = 0;
    for await (const piece of rechunk(chunks)) {
      const url = this.sessionUrl({ filepath: directory, filename, offset: String(offset), fileverify: 'adler32', overwrite: 'true' });
      const reply = decodeResponse(await post(url, piece, 'application/octet-stream', this.tls)) as { size: number; hexdigest: string };
      if (reply.size !== piece.length) throw new Error(`koji upload of ${filename}: sent ${piece.length} bytes at ${offset}, the hub got ${reply.size}`);
      const digest = adler32Hex(piece);
      if (reply.hexdigest !== digest) throw new Error(`koji upload of ${filename}: chunk at ${offset} has Adler-32 ${digest}, the hub computed ${reply.hexdigest}`);
      md5.update(piece);
      offset += piece.length;
    }
    return { size: offset, md5: md5.digest('hex') };
  }

  /** Imports the uploaded files with their content-generator metadata; the build id. */
  async importBuild(metadata: unknown, directory: string, token: string): Promise<number> {
    const reply = (await this.call('CGImport', [JSON.stringify(metadata), directory, token])) as { build_id: number };
    return reply.build_id;
  }

  /** Gives a reserved build back (the compose failed or was cancelled). */
  async refundBuild(buildId: number, token: string, state: number = KOJI_BUILD_STATE.failed): Promise<void> {
    await this.call('CGRefundBuild', [KOJI_CONTENT_GENERATOR, buildId, token, state]);
  }
}

/** Re-slices a byte stream into chunks of at most 1 MiB. */
async function* rechunk(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const data of source) {
    pending.push(data);
    size += data.length;
    while (size >= CHUNK_BYTES) {
      const all = Buffer.concat(pending);
      yield all.subarray(0, CHUNK_BYTES);
      pending = [all.subarray(CHUNK_BYTES)];
      size = pending[0]!.length;
    }
  }
  if (size > 0) yield Buffer.concat(pending);
}
