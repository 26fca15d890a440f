import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { FsBlobStore } from '../layers/src/adapters/embedded/fs-blob-store.ts';
import { MAX_BODY_BYTES } from '../functions/api/http.ts';
import { createLogger, type Logger } from '../layers/src/log/logger.ts';
import { serveBlob } from './blob-downloads.ts';
import { sendJson } from './json-reply.ts';
import type { WebUiHandler } from './web-ui.ts';

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

const lambdaContext = (requestId: string): Context =>
  ({
    awsRequestId: requestId,
    functionName: 'ibs-local-api',
    functionVersion: '$LATEST',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30_000,
  }) as Context;


/** Reads the body, stopping at the limit so an oversized upload is refused without buffering it. */
async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * API Gateway HTTP API (payload v2) in front of the same Lambda handler, plus signed downloads from the FsBlobStore
 * when there is one (with S3, download URLs are presigned S3 URLs and `/_blobs/` does not exist).
 */
export interface GatewayOptions {
  log?: Logger;
  /** Host names (besides 127.0.0.1, localhost and ::1) that requests may address and pages may come from. */
  allowedHosts?: readonly string[];
  /** The web UI (local/web-ui.ts): GET and HEAD of every path outside /api/ and /_blobs/. */
  webUi?: WebUiHandler;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * Why a request from a browser must not reach the API, or undefined. A web page can make the user's browser talk to
 * 127.0.0.1: a cross-site Origin is refused, and so is a Host that is not ours (DNS rebinding points a foreign name at
 * 127.0.0.1, so the browser sends that name).
 */
function refuseForeign(req: IncomingMessage, allowed: readonly string[]): string | undefined {
  const hostName = (value: string) => {
    try {
      return new URL(`http://${value}`).hostname;
    } catch {
      return undefined;
    }
  };
  const host = hostName(req.headers.host ?? '');
  if (!host || !allowed.includes(host)) return `Host "${req.headers.host ?? ''}" is not this service (allowed: ${allowed.join(', ')}; add names with IBS_ALLOWED_HOSTS)`;
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  let originHost: string | undefined;
  try {
    const parsed = new URL(origin);
    originHost = parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.hostname : undefined;
  } catch {
    originHost = undefined;
  }
  if (!originHost || !allowed.includes(originHost)) return `requests from pages of origin "${origin}" are not allowed`;
  return undefined;
}

export function createHttpGateway(handler: LambdaHandler, blobs?: FsBlobStore, options: GatewayOptions = {}): Server {
  const log = options.log ?? createLogger({ service: 'ibs-local-gateway' });
  const allowedHosts = [...LOOPBACK_NAMES, ...(options.allowedHosts ?? [])];
  return createServer(async (req, res) => {
    const requestId = randomUUID();
    try {
      const foreign = refuseForeign(req, allowedHosts);
      if (foreign) {
        sendJson(res, 403, 'Forbidden', foreign);
        req.resume();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (blobs && url.pathname.startsWith('/_blobs/') && (req.method === 'GET' || req.method === 'HEAD')) {
        await serveBlob(blobs, url, res, req.method === 'HEAD', (error) => log.warn('download failed', { requestId, key: url.pathname, error }));
        return;
      }
      if (options.webUi && !url.pathname.startsWith('/api/') && (req.method === 'GET' || req.method === 'HEAD')) {
        await options.webUi(req, res, url);
        return;
      }
      const body = await readBody(req);
      if (body === 'too-large') {
        sendJson(res, 413, 'Payload too large', `request body exceeds ${MAX_BODY_BYTES} bytes (1 MiB)`);
        req.resume();
        return;
      }
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
      }
      const event: APIGatewayProxyEventV2 = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        // A repeated parameter arrives joined with commas, as API Gateway (payload 2.0) passes it.
        queryStringParameters: url.search ? Object.fromEntries([...new Set(url.searchParams.keys())].map((k) => [k, url.searchParams.getAll(k).join(',')])) : undefined,
        requestContext: {
          accountId: 'local',
          apiId: 'local',
          domainName: headers.host ?? '127.0.0.1',
          domainPrefix: 'local',
          http: {
            method: req.method ?? 'GET',
            path: url.pathname,
            protocol: `HTTP/${req.httpVersion}`,
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            userAgent: headers['user-agent'] ?? '',
          },
          requestId,
          routeKey: '$default',
          stage: '$default',
          time: new Date().toISOString(),
          timeEpoch: Date.now(),
        },
        body: body.length > 0 ? body.toString('base64') : undefined,
        isBase64Encoded: body.length > 0,
      };
      const result = await handler(event, lambdaContext(requestId));
      const response = typeof result === 'string' ? { statusCode: 200, body: result } : result;
      res.writeHead(response.statusCode ?? 200, (response.headers ?? {}) as Record<string, string>);
      res.end(response.isBase64Encoded && response.body ? Buffer.from(response.body, 'base64') : (response.body ?? ''));
    } catch (error) {
      // Internals go to the log, not to the client; the request id links the two.
      log.error('gateway failed', { requestId, path: req.url, error });
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, 'Internal server error', `the request could not be completed; it has been logged with request id ${requestId}`);
    }
  });
}

export const listen = (server: Server, port: number, host = '127.0.0.1'): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
