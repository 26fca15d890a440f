/** local/web-ui.ts: what the local gateway serves at / — files, types, caching, the SPA fallback, no way out of dist. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpGateway, listen } from '../../local/http-gateway.ts';
import { createWebUi, isWebUiStale, readUiOrg, resolveStaticPath } from '../../local/web-ui.ts';
import { silentLogger } from '../runner/helpers.ts';

describe('resolveStaticPath', () => {
  it('keeps every path inside the root', () => {
    const root = '/srv/dist';
    expect(resolveStaticPath(root, '/assets/app.js')).toBe('/srv/dist/assets/app.js');
    for (const evil of ['/../package.json', '/%2e%2e/package.json', '/assets/..%2f..%2fsecret', '/a%00b', '/..\\..\\x', '/.env', '/%E0%A4%A'])
      expect(resolveStaticPath(root, evil), evil).toBeUndefined();
  });
});

describe('readUiOrg', () => {
  it('defaults to local and refuses a malformed organization', () => {
    expect(readUiOrg({})).toBe('local');
    expect(readUiOrg({ IBS_UI_ORG: 'acme-1' })).toBe('acme-1');
    expect(() => readUiOrg({ IBS_UI_ORG: '../x' })).toThrow(/IBS_UI_ORG/);
  });
});

describe('web UI over the gateway', () => {
  let dir: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ibs-web-ui-'));
    mkdirSync(join(dir, 'dist/assets'), { recursive: true });
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src/main.tsx'), '');
    writeFileSync(join(dir, 'dist/index.html'), '<!doctype html><title>ui</title>');
    writeFileSync(join(dir, 'dist/assets/app-1234.js'), 'console.log(1)');
    writeFileSync(join(dir, 'dist/assets/app-1234.css'), 'body{}');
    writeFileSync(join(dir, 'dist/assets/app-1234.js.map'), '{}');
    writeFileSync(join(dir, 'secret.txt'), 'outside dist');
    const webUi = createWebUi({ log: silentLogger(), webDir: dir, build: false, runtimeConfig: async () => ({ apiBase: '/api/image-builder/v1', auth: { mode: 'local', org: 'o', token: 't' } }) });
    const api = async () => ({ statusCode: 404, headers: { 'content-type': 'application/json' }, body: '{"errors":[]}' });
    server = createHttpGateway(api, undefined, { log: silentLogger(), webUi });
    base = `http://127.0.0.1:${await listen(server, 0)}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves hashed assets with their type and a year of caching, the app revalidated', async () => {
    const js = await fetch(`${base}/assets/app-1234.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log(1)');
    expect((await fetch(`${base}/assets/app-1234.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    const index = await fetch(`${base}/`);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('sends the types the osls plugin gives S3 (one table for both)', async () => {
    const { CONTENT_TYPES } = createRequire(import.meta.url)('../../scripts/osls-web-ui.cjs');
    for (const [path, ext] of [['/assets/app-1234.js', '.js'], ['/assets/app-1234.css', '.css'], ['/assets/app-1234.js.map', '.map'], ['/', '.html']]) {
      const type = (await fetch(`${base}${path}`)).headers.get('content-type');
      expect(type, path).toBe(CONTENT_TYPES[ext]);
    }
  });

  it('answers the UI routes with index.html, a missing asset with 404, and the API paths from the API', async () => {
    for (const route of ['/images/0b4f1c1e-0000-4000-8000-000000000000', '/blueprints', '/blueprints/new']) {
      const res = await fetch(`${base}${route}`);
      expect(res.status, route).toBe(200);
      expect(await res.text()).toContain('<title>ui</title>');
    }
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${base}/favicon.png`)).status).toBe(404);
    const api = await fetch(`${base}/api/image-builder/v1/nothing`);
    expect(api.headers.get('content-type')).toBe('application/json');
  });

  it('serves /config.json uncached and nothing outside dist', async () => {
    const config = await fetch(`${base}/config.json`);
    expect(config.headers.get('cache-control')).toBe('no-store');
    expect(await config.json()).toEqual({ apiBase: '/api/image-builder/v1', auth: { mode: 'local', org: 'o', token: 't' } });
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt']) {
      const res = await fetch(`${base}${path}`);
      expect(await res.text(), path).not.toContain('outside dist');
    }
  });

  it('keeps refusing foreign Host headers before the UI', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/`, { headers: { host: 'evil.example' } }, (res) => (res.resume(), resolve(res.statusCode!)));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('tells a stale build from a current one', async () => {
    expect(await isWebUiStale(dir)).toBe(false);
    const later = new Date(Date.now() + 5000);
    const { utimesSync } = await import('node:fs');
    utimesSync(join(dir, 'src/main.tsx'), later, later);
    expect(await isWebUiStale(dir)).toBe(true);
  });
});
