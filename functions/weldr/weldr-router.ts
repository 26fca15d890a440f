/**
 * The Weldr API's request dispatch, as osbuild-composer's httprouter setup has it: `/api/status`, then
 * `/api/v{0,1}/...` routes with `:param` segments and `*rest` catch-alls; an unknown path is composer's 404 HTTPError,
 * a known path with another method a 405 with `Allow` (OPTIONS: a 200 with it). Domain errors become composer's error answers.
 */
import type { Readable } from 'node:stream';
import { DomainError, NotFoundError, QuotaExceededError, StorageFullError, ValidationError } from '../../layers/src/errors.ts';
import type { Logger } from '../../layers/src/log/logger.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { notFoundError, WeldrError, weldrErrorBody } from './weldr-errors.ts';
import { allowedMethods } from './weldr-allowed-methods.ts';

/** What every Weldr handler works with: the stores of the hosted API, acting for one organization. */
export interface WeldrContext {
  deps: ServiceDeps;
  orgId: string;
  /** The distribution of blueprints that name none (composer uses the host's). */
  defaultDistro: string;
  /** The architecture of blueprints that name none (composer uses the host's). */
  hostArch: string;
  log: Logger;
}

export interface WeldrRequest {
  method: string;
  /** The path after `/api/v<version>`, or `/api/status`. */
  path: string;
  version: number;
  query: URLSearchParams;
  /** The Content-Type header as sent (composer compares it exactly). */
  contentType: string | undefined;
  body: Buffer;
}

export interface WeldrReply {
  status: number;
  /** JSON-encoded unless a string, Buffer or stream. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type WeldrHandler = (ctx: WeldrContext, request: WeldrRequest, params: Record<string, string>) => Promise<WeldrReply>;

export interface WeldrRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** e.g. `/blueprints/info/*names`, `/compose/cancel/:uuid`. */
  pattern: string;
  /** The first API version with the route (composer's verifyRequestVersion). */
  minVersion?: number;
  /** The error id a ValidationError from the services gets on this route. */
  errorId: string;
  handler: WeldrHandler;
}

const MAX_VERSION = 1;

/** `:name` matches one non-empty segment; `*name` the rest of the path (without its leading slash, may be empty). */
export function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const wanted = pattern.split('/');
  const got = path.split('/');
  const params: Record<string, string> = {};
  for (let i = 0; i < wanted.length; i++) {
    const part = wanted[i];
    if (part.startsWith('*')) {
      if (got.length < i) return undefined;
      params[part.slice(1)] = got.slice(i).join('/');
      return params;
    }
    if (i >= got.length) return undefined;
    if (part.startsWith(':')) {
      if (got[i] === '') return undefined;
      params[part.slice(1)] = decodeURIComponent(got[i]);
    } else if (part !== got[i]) return undefined;
  }
  return got.length === wanted.length ? params : undefined;
}

export const jsonReply = (body: unknown, status = 200): WeldrReply => ({ status, body });
export const okReply = (): WeldrReply => jsonReply({ status: true });

/** The Weldr error answer for anything a handler threw. */
export function replyToError(error: unknown, errorId: string, log: Logger): WeldrReply {
  if (error instanceof WeldrError) return jsonReply(weldrErrorBody(error.entries), error.status);
  if (error instanceof ValidationError) return jsonReply(weldrErrorBody([{ id: errorId, msg: error.message }]), 400);
  if (error instanceof NotFoundError) return jsonReply(weldrErrorBody([{ id: errorId, msg: error.message }]), 400);
  if (error instanceof QuotaExceededError) return jsonReply(weldrErrorBody([{ id: 'ComposeError', msg: error.message }]), 400);
  if (error instanceof StorageFullError) return jsonReply(weldrErrorBody([{ id: 'ComposePushErrored', msg: error.message }]), 500);
  if (error instanceof DomainError) return jsonReply(weldrErrorBody([{ id: errorId, msg: error.message }]), 400);
  log.error('weldr request failed', { error });
  return jsonReply(weldrErrorBody([{ id: 'InternalServerError', msg: 'Internal server error' }]), 500);
}

/** Dispatches one request over the routes; never throws. */
export async function dispatchWeldr(ctx: WeldrContext, routes: readonly WeldrRoute[], request: WeldrRequest, status: WeldrHandler): Promise<WeldrReply> {
  try {
    if (request.method === 'GET' && request.version === -1 && request.path === '/api/status') return await status(ctx, request, {});
    let route: WeldrRoute | undefined;
    let params: Record<string, string> | undefined;
    for (const r of routes) {
      if (r.method !== request.method) continue;
      params = matchPattern(r.pattern, request.path);
      if (params) {
        route = r;
        break;
      }
    }
    // httprouter: OPTIONS, and another method's path (405), answered with `Allow` before any version check.
    if (!route || !params) {
      const allow = allowedMethods(routes, request, request.method);
      if (allow) return { status: request.method === 'OPTIONS' ? 200 : 405, headers: { allow } };
      throw notFoundError();
    }
    if (request.version < 0 || request.version > MAX_VERSION || request.version < (route.minVersion ?? 0)) throw notFoundError();
    try {
      return await route.handler(ctx, request, params);
    } catch (error) {
      return replyToError(error, route.errorId, ctx.log);
    }
  } catch (error) {
    return replyToError(error, 'HTTPError', ctx.log);
  }
}

/** Splits `/api/v1/blueprints/list` into version 1 and `/blueprints/list`; `/api/status` is version -1. */
export function splitApiPath(pathname: string): { version: number; path: string } | undefined {
  if (pathname === '/api/status') return { version: -1, path: pathname };
  const match = /^\/api\/v(\d+)(\/.*)$/.exec(pathname);
  if (!match) return undefined;
  return { version: Number(match[1]), path: match[2] };
}

export type WeldrBody = string | Buffer | Readable;
