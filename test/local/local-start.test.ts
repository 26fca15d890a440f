import { execa } from 'execa';
import { createServer, request, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FsBlobStore } from '../../layers/src/adapters/embedded/fs-blob-store.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { readLocalConfig } from '../../local/config.ts';
import { createHttpGateway, listen } from '../../local/http-gateway.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('npm start for a new user', () => {
  it('a port already in use is one line naming IBS_PORT, not a stack trace', async () => {
    const busy = createServer();
    servers.push(busy);
    const port = await listen(busy, 0);
    const run = await execa('node', ['--import', 'tsx', 'local/start.ts'], {
      env: { IBS_PORT: String(port), IBS_RUNNERS: '0', IBS_DATA_DIR: mkdtempSync(join(tmpdir(), 'ibs-start-')) },
      reject: false,
      timeout: 60_000,
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(new RegExp(`port ${port} .*already in use.*IBS_PORT`));
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a bad setting names the variable and what is allowed', () => {
    expect(() => readLocalConfig({ IBS_PORT: 'eighty' })).toThrow(/IBS_PORT must be a whole number from 0 to 65535, got "eighty"/);
    expect(() => readLocalConfig({ IBS_BACKEND: 'sqlite' })).toThrow(/IBS_BACKEND must be one of embedded, aws/);
    expect(readLocalConfig({}).port).toBe(8080);
  });
});

describe('local download gateway', () => {
  it('a download stream that fails ends that response only; the server keeps answering', async () => {
    const failing = {
      verifyDownload: () => true,
      head: async () => ({ size: 1024 * 1024, contentType: 'application/octet-stream' }),
      // 64 KiB of the promised 1 MiB, then a read error (the file went away, EMFILE, a bad disk).
      get: async () => {
        let sent = false;
        return new Readable({
          read() {
            if (sent) return;
            sent = true;
            this.push(Buffer.alloc(64 * 1024));
            setImmediate(() => this.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })));
          },
        });
      },
    } as unknown as FsBlobStore;
    const logged: string[] = [];
    const handler = async () => ({ statusCode: 200, body: '{"ok":true}' });
    const server = createHttpGateway(handler, failing, { log: createLogger({}, { write: (l) => logged.push(l) }) });
    servers.push(server);
    const port = await listen(server, 0);
    const base = `http://127.0.0.1:${port}`;
    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, async () => (await fetch(`${base}/_blobs/artifacts/a/b?expires=1&signature=x`)).arrayBuffer()),
    );
    expect(attempts.map((a) => a.status)).toEqual(Array(20).fill('rejected'));
    expect(await (await fetch(`${base}/api/image-builder/v1/version`)).json()).toEqual({ ok: true });
    expect(logged.some((l) => l.includes('download failed') && l.includes('EIO'))).toBe(true);
  });

  it('a malformed %-escape in a download path is a 400', async () => {
    const server = createHttpGateway(async () => ({ statusCode: 200 }), {} as FsBlobStore, { log: createLogger({}, { write: () => {} }) });
    servers.push(server);
    const port = await listen(server, 0);
    expect((await fetch(`http://127.0.0.1:${port}/_blobs/%E0%A4%A?expires=1`)).status).toBe(400);
  });
});

describe('local API exposure to web pages', () => {
  async function gateway() {
    const server = createHttpGateway(async () => ({ statusCode: 200, body: '{"ok":true}' }), undefined, { log: createLogger({}, { write: () => {} }), allowedHosts: ['ibs.internal'] });
    servers.push(server);
    return listen(server, 0);
  }
  // node's fetch does not let a caller set Host or Origin freely, so these requests are raw HTTP.
  const raw = (port: number, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/image-builder/v1/version', headers, setHost: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });

  it('answers loopback hosts and configured names, same-origin pages and clients without an Origin', async () => {
    const port = await gateway();
    expect(await raw(port, { host: `127.0.0.1:${port}` })).toBe(200);
    expect(await raw(port, { host: `localhost:${port}`, origin: `http://localhost:${port}` })).toBe(200);
    expect(await raw(port, { host: `ibs.internal:${port}` })).toBe(200);
  });

  it('refuses a cross-site page and a rebinding host with 403', async () => {
    const port = await gateway();
    expect(await raw(port, { host: `127.0.0.1:${port}`, origin: 'https://evil.example' })).toBe(403);
    expect(await raw(port, { host: `127.0.0.1:${port}`, origin: 'null' })).toBe(403);
    expect(await raw(port, { host: `evil.example:${port}` })).toBe(403);
    expect([400, 403]).toContain(await raw(port, {})); // node itself refuses HTTP/1.1 without Host
  });
});
