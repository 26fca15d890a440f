/**
 * A Koji hub stand-in for tests: XML-RPC over HTTP on 127.0.0.1 with the content-generator calls and the checks the
 * real hub makes — a session from sslLogin, callnum increasing, CGInitBuild reserving a build and its token, uploads
 * at contiguous offsets with the Adler-32 of each chunk, CGImport only of a reserved build with its token, metadata
 * version 0 whose every output was uploaded with that size and MD5; CGRefundBuild giving a reservation back.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adler32Hex } from '../../functions/composer-v2/koji/koji-session.ts';
import { decodeCall, encodeFault, encodeResponse, type XmlRpcValue } from '../../functions/composer-v2/koji/xmlrpc.ts';

export interface KojiBuildRecord {
  buildId: number;
  token: string;
  nvr: { name: string; version: string; release: string };
  state: 'reserved' | 'imported' | 'refunded';
  refundState?: number;
  metadata?: any;
}

export interface KojiHubStandIn {
  url: string;
  builds: Map<number, KojiBuildRecord>;
  /** Every call: method name (uploads as `uploadFile`). */
  calls: string[];
  /** Uploaded files by `<dir>/<name>`. */
  files: Map<string, Buffer>;
  close(): Promise<void>;
}

export async function startKojiHubStandIn(): Promise<KojiHubStandIn> {
  const builds = new Map<number, KojiBuildRecord>();
  const calls: string[] = [];
  const files = new Map<string, Buffer>();
  const sessions = new Map<number, { key: string; callnum: number }>();
  let nextBuild = 1000;

  function checkSession(query: URLSearchParams): void {
    const session = sessions.get(Number(query.get('session-id')));
    if (!session || session.key !== query.get('session-key')) throw new Error('AuthError: bad session');
    const callnum = Number(query.get('callnum'));
    if (!(callnum > session.callnum)) throw new Error(`SequenceError: callnum ${callnum} after ${session.callnum}`);
    session.callnum = callnum;
  }

  function dispatch(method: string, params: XmlRpcValue[]): XmlRpcValue {
    switch (method) {
      case 'sslLogin': {
        const id = sessions.size + 1;
        sessions.set(id, { key: `key-${id}`, callnum: -1 });
        return { 'session-id': id, 'session-key': `key-${id}` };
      }
      case 'CGInitBuild': {
        const [cg, nvr] = params as [string, { name: string; version: string; release: string }];
        if (cg !== 'osbuild') throw new Error(`GenericError: unknown content generator ${cg}`);
        if ([...builds.values()].some((b) => b.state !== 'refunded' && b.nvr.name === nvr.name && b.nvr.version === nvr.version && b.nvr.release === nvr.release)) {
          throw new Error(`GenericError: build ${nvr.name}-${nvr.version}-${nvr.release} already exists`);
        }
        const build: KojiBuildRecord = { buildId: nextBuild++, token: createHash('sha256').update(String(Math.random())).digest('hex'), nvr, state: 'reserved' };
        builds.set(build.buildId, build);
        return { build_id: build.buildId, token: build.token };
      }
      case 'CGImport': {
        const [text, directory, token] = params as [string, string, string];
        const metadata = JSON.parse(text);
        const build = builds.get(metadata.build?.build_id);
        if (!build || build.state !== 'reserved' || build.token !== token) throw new Error('GenericError: no reserved build with this id and token');
        if (metadata.metadata_version !== 0) throw new Error('GenericError: metadata_version must be 0');
        for (const key of ['name', 'version', 'release']) if (metadata.build[key] !== (build.nvr as any)[key]) throw new Error(`GenericError: build.${key} differs from the reservation`);
        if (!Array.isArray(metadata.buildroots) || metadata.buildroots.length === 0) throw new Error('GenericError: no buildroots');
        for (const out of metadata.output) {
          const data = files.get(`${directory}/${out.filename}`);
          if (!data) throw new Error(`GenericError: output ${out.filename} was not uploaded`);
          if (data.length !== out.filesize) throw new Error(`GenericError: Corrupted upload: ${out.filename} size ${data.length}, metadata says ${out.filesize}`);
          if (out.checksum_type !== 'md5' || createHash('md5').update(data).digest('hex') !== out.checksum) throw new Error(`GenericError: Corrupted upload: ${out.filename} checksum`);
          if (!metadata.buildroots.some((r: any) => r.id === out.buildroot_id)) throw new Error(`GenericError: ${out.filename} names an unknown buildroot`);
        }
        build.state = 'imported';
        build.metadata = metadata;
        return { build_id: build.buildId };
      }
      case 'CGRefundBuild': {
        const [, buildId, token, state] = params as [string, number, string, number];
        const build = builds.get(buildId);
        if (!build || build.token !== token || build.state !== 'reserved') throw new Error('GenericError: nothing to refund');
        build.state = 'refunded';
        build.refundState = state;
        return null;
      }
      default:
        throw new Error(`GenericError: method ${method} not supported by the stand-in`);
    }
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = Buffer.concat(chunks);
      let reply: string;
      try {
        if (url.searchParams.has('filename')) {
          calls.push('uploadFile');
          checkSession(url.searchParams);
          const key = `${url.searchParams.get('filepath')}/${url.searchParams.get('filename')}`;
          const have = files.get(key) ?? Buffer.alloc(0);
          const offset = Number(url.searchParams.get('offset'));
          if (offset !== have.length) throw new Error(`GenericError: upload of ${key} at offset ${offset}, have ${have.length} bytes`);
          files.set(key, Buffer.concat([have, body]));
          reply = encodeResponse({ size: body.length, hexdigest: adler32Hex(body) });
        } else {
          const { method, params } = decodeCall(body.toString('utf8'));
          calls.push(method);
          if (method !== 'sslLogin') checkSession(url.searchParams);
          reply = encodeResponse(dispatch(method, params));
        }
      } catch (error) {
        reply = encodeFault(1000, (error as Error).message);
      }
      res.writeHead(200, { 'content-type': 'text/xml' }).end(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/kojihub`,
    builds,
    calls,
    files,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
