/**
 * The Weldr API as a node:http request listener (what local/weldr-socket.ts serves on the unix socket): reads the
 * body, dispatches over every Weldr route, writes composer's answer with `application/json; charset=utf-8` unless
 * the route sends a file (composer sets that type on every answer, TOML and text included).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MAX_BODY_BYTES } from '../api/http.ts';
import { dispatchWeldr, splitApiPath, type WeldrContext, type WeldrReply, type WeldrRoute } from './weldr-router.ts';
import { notFoundError, weldrErrorBody, WeldrError } from './weldr-errors.ts';
import { WELDR_BLUEPRINT_ROUTES } from './weldr-blueprint-routes.ts';
import { WELDR_COMPOSE_ROUTES } from './weldr-compose-routes.ts';
import { WELDR_META_ROUTES, weldrStatus } from './weldr-meta-routes.ts';
import { WELDR_SOURCE_ROUTES } from './weldr-source-routes.ts';
import { WELDR_UNSUPPORTED_ROUTES } from './weldr-unsupported-routes.ts';

/** Every Weldr route this service answers (compose/types before the compose/:x routes is irrelevant: exact segments). */
export const WELDR_ROUTES: readonly WeldrRoute[] = [
  ...WELDR_BLUEPRINT_ROUTES,
  ...WELDR_COMPOSE_ROUTES,
  ...WELDR_META_ROUTES,
  ...WELDR_SOURCE_ROUTES,
  ...WELDR_UNSUPPORTED_ROUTES,
];

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function writeReply(res: ServerResponse, reply: WeldrReply): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...reply.headers };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  if (reply.body instanceof Readable) {
    res.writeHead(reply.status, headers);
    await pipeline(reply.body, res);
    return;
  }
  const bytes = typeof reply.body === 'string' || Buffer.isBuffer(reply.body) ? Buffer.from(reply.body) : Buffer.from(`${JSON.stringify(reply.body)}\n`);
  res.writeHead(reply.status, { ...headers, 'content-length': String(bytes.length) });
  res.end(bytes);
}

/** The request listener serving the Weldr API for `ctx.orgId`. */
export function createWeldrListener(ctx: WeldrContext, routes: readonly WeldrRoute[] = WELDR_ROUTES) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const split = splitApiPath(url.pathname);
      let reply: WeldrReply;
      const body = await readBody(req);
      if (body === undefined) reply = { status: 400, body: weldrErrorBody(new WeldrError(400, 'HTTPError', `request body exceeds ${MAX_BODY_BYTES} bytes`).entries) };
      else if (!split) reply = { status: 404, body: weldrErrorBody(notFoundError().entries) };
      else {
        const contentType = req.headers['content-type'];
        reply = await dispatchWeldr(ctx, routes, { method: req.method ?? 'GET', ...split, query: url.searchParams, contentType, body }, weldrStatus);
      }
      await writeReply(res, reply);
    })().catch((error: unknown) => {
      ctx.log.error('weldr reply failed', { error });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end();
    });
  };
}
