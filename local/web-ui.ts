/**
 * The web UI in local mode, on the API's own origin: the built files of web/dist (built by `npm ci`'s prepare, or
 * here on the first visit when missing or older than web/'s sources), `/config.json` with a token minted for the
 * configured organization, and index.html for every other path (the UI's routes). Only GET and HEAD reach it.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import type { Logger } from '../layers/src/log/logger.ts';
import { ConfigError, envString, type Env } from '../layers/src/config/env.ts';
import { API_BASE } from '../functions/api/http.ts';
import { ORG_ID } from '../functions/api/auth.ts';
import contentTypes from '../web/content-types.json' with { type: 'json' };

export const WEB_DIR = resolve(import.meta.dirname, '../web');

/** What `GET /config.json` answers (web/src/api/runtime-config.ts reads it). */
export interface WebUiRuntimeConfig {
  apiBase: string;
  auth: { mode: 'local'; token: string; org: string } | { mode: 'header'; org: string } | { mode: 'oidc'; issuer: string; clientId: string };
}

export interface WebUiOptions {
  log: Logger;
  runtimeConfig: () => Promise<WebUiRuntimeConfig>;
  /** Default: web/ of this checkout. */
  webDir?: string;
  /** Build web/dist on the first visit when it is missing or stale (default true). */
  build?: boolean;
}

export type WebUiHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

/** web/content-types.json: one table for this server and the osls plugin that uploads web/dist to S3. */
const TYPES: Record<string, string> = contentTypes;

/** Same-origin only; PatternFly sets inline style attributes, hence 'unsafe-inline' for styles (not scripts). */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

/**
 * The file under `root` a URL path names, or undefined for anything that could leave it: `..` segments (also
 * %-encoded), backslashes, NUL, dot files.
 */
export function resolveStaticPath(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter(Boolean);
  if (segments.some((s) => s === '..' || s.startsWith('.'))) return undefined;
  const full = resolve(root, ...segments);
  return full === root || full.startsWith(root + sep) ? full : undefined;
}

/** Newest modification time of the files under `dir` (0 if none). */
async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (!entry.isFile()) continue;
    const s = await stat(join(entry.parentPath, entry.name)).catch(() => undefined);
    if (s && s.mtimeMs > newest) newest = s.mtimeMs;
  }
  return newest;
}

/** Whether web/dist is missing or older than a source of the UI. */
export async function isWebUiStale(webDir = WEB_DIR): Promise<boolean> {
  const built = await stat(join(webDir, 'dist/index.html')).catch(() => undefined);
  if (!built) return true;
  const sources = Math.max(
    await newestMtime(join(webDir, 'src')),
    ...(await Promise.all(['index.html', 'vite.config.ts'].map((f) => stat(join(webDir, f)).then((s) => s.mtimeMs, () => 0)))),
  );
  return sources > built.mtimeMs;
}

const building = new Map<string, Promise<void>>();

/**
 * Builds web/dist with Vite (a child process) into a fresh directory that then replaces dist, so a reader never sees
 * half a build; one build at a time per directory in this process.
 */
export function buildWebUi(webDir = WEB_DIR): Promise<void> {
  const running = building.get(webDir);
  if (running) return running;
  const run = (async () => {
    const viteBin = join(createRequire(import.meta.url).resolve('vite/package.json'), '../bin/vite.js');
    const out = join(webDir, `dist-${randomUUID().slice(0, 8)}.tmp`);
    const output: string[] = [];
    const code = await new Promise<number | null>((done, fail) => {
      // Always React's production build: under vitest (NODE_ENV=test) vite would bundle the slower development build.
      const child = spawn(process.execPath, [viteBin, 'build', webDir, '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
      child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
      child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
      child.once('error', fail);
      child.once('exit', done);
    });
    if (code !== 0) {
      await rm(out, { recursive: true, force: true });
      throw new Error(`vite build of the web UI failed (exit ${code}): ${output.join('').slice(-2000)}`);
    }
    const old = join(webDir, `dist-${randomUUID().slice(0, 8)}.old`);
    await rename(join(webDir, 'dist'), old).catch(() => undefined);
    await rename(out, join(webDir, 'dist'));
    await rm(old, { recursive: true, force: true });
  })().finally(() => building.delete(webDir));
  building.set(webDir, run);
  return run;
}

/** Builds when missing or stale; resolves when web/dist is current. */
export async function ensureWebUiBuilt(webDir = WEB_DIR): Promise<void> {
  if (await isWebUiStale(webDir)) await buildWebUi(webDir);
}

function sendText(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

const page = (title: string, text: string, refresh = false) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>${refresh ? '<meta http-equiv="refresh" content="2">' : ''}</head><body><h1>${title}</h1><p>${text}</p></body></html>`;

export function createWebUi(options: WebUiOptions): WebUiHandler {
  const webDir = options.webDir ?? WEB_DIR;
  const dist = join(webDir, 'dist');
  let checked: Promise<void> | undefined;
  let buildError: Error | undefined;
  const ready = () => {
    if (options.build === false) return Promise.resolve();
    checked ??= ensureWebUiBuilt(webDir).catch((error: Error) => {
      buildError = error;
      options.log.error('web UI build failed', { error });
    });
    return checked;
  };

  const serveFile = async (req: IncomingMessage, res: ServerResponse, file: string, cache: string): Promise<boolean> => {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return false;
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': cache,
      'last-modified': info.mtime.toUTCString(),
      ...SECURITY_HEADERS,
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).on('error', () => res.destroy()).pipe(res);
    return true;
  };

  return async (req, res, url) => {
    if (url.pathname === '/config.json') {
      sendText(res, 200, 'application/json; charset=utf-8', JSON.stringify(await options.runtimeConfig()));
      return;
    }
    // Build in the background; until it is there, a page that reloads itself.
    const pending = ready();
    const settled = await Promise.race([pending.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 200))]);
    if (!settled) {
      sendText(res, 503, 'text/html; charset=utf-8', page('Building the web UI…', 'This takes a few seconds the first time; the page reloads itself.', true), { 'retry-after': '2' });
      return;
    }
    if (buildError) {
      sendText(res, 503, 'text/html; charset=utf-8', page('The web UI could not be built', 'See the service log; <code>npm run build:web</code> shows the error. The API works regardless.'));
      return;
    }
    const file = resolveStaticPath(dist, url.pathname);
    if (!file) {
      sendText(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    // Hashed asset names never change content: cache them for a year; anything else is revalidated.
    const immutable = url.pathname.startsWith('/assets/');
    if (await serveFile(req, res, file, immutable ? 'public, max-age=31536000, immutable' : 'no-cache')) return;
    if (immutable || extname(url.pathname)) {
      sendText(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    // A route of the UI (/images/…, /blueprints/…): the app itself.
    if (!(await serveFile(req, res, join(dist, 'index.html'), 'no-cache'))) {
      sendText(res, 503, 'text/html; charset=utf-8', page('The web UI is not built', 'Run <code>npm run build:web</code>.'));
    }
  };
}

/** IBS_UI_ORG: the organization the local web UI acts for (default `local`, the X-Org-Id default). */
export function readUiOrg(env: Env = process.env): string {
  const org = envString(env, 'IBS_UI_ORG', 'local');
  if (!ORG_ID.test(org)) throw new ConfigError('IBS_UI_ORG', `"${org}" must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  return org;
}

/** The local UI's config: the same-origin API and a token minted for `org` on each read (they expire). */
export const localRuntimeConfig = (org: string, mint: (org: string, user: string) => Promise<string>) => async (): Promise<WebUiRuntimeConfig> => ({
  apiBase: API_BASE,
  auth: { mode: 'local', org, token: await mint(org, `${org}-ui`) },
});
