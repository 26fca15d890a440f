// The osbuild test double's org.osbuild.curl source against a server on 127.0.0.1: download, checksum, cache, and the
// source failures osbuild reports (the runner names the URL from them).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMonitorStream } from '../runner-ami/src/osbuild-monitor.ts';
import { classifyOsbuildResult } from '../runner-ami/src/osbuild-result.ts';
import { runDouble } from './osbuild-double/harness.ts';

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'osbuild-double-curl-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('curl source over 127.0.0.1', () => {
  let server: http.Server;
  let base: string;
  const body = Buffer.from('package payload\n');
  const sha = 'sha256:' + createHash('sha256').update(body).digest('hex');
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/pkg.rpm') res.end(body);
      else {
        res.statusCode = 404;
        res.end('nope');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const manifest = (checksum: string, url: string) => ({
    version: '2',
    pipelines: [
      {
        name: 'tree',
        stages: [
          { type: 'org.osbuild.mkdir', options: { paths: [{ path: '/pkgs', mode: 493 }] } },
          {
            type: 'org.osbuild.copy',
            inputs: { pkg: { type: 'org.osbuild.files', origin: 'org.osbuild.source', references: { [checksum]: {} } } },
            options: { paths: [{ from: `input://pkg/${checksum}`, to: 'tree:///pkgs/pkg.rpm' }] },
          },
        ],
      },
    ],
    sources: { 'org.osbuild.curl': { items: { [checksum]: { url } } } },
  });

  it('downloads, verifies, caches and copies', async () => {
    const f = path.join(work, 'curl.json');
    writeFileSync(f, JSON.stringify(manifest(sha, `${base}/pkg.rpm`)));
    const store = path.join(work, 'store-curl');
    const args = ['--store', store, '--export', 'tree', '--output-directory', path.join(work, 'out-curl'), '--json', '--monitor', 'JSONSeqMonitor', '--monitor-fd', '3', f];
    const r = await runDouble(args);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(work, 'out-curl/tree/pkgs/pkg.rpm'))).toEqual(body);
    expect(readFileSync(path.join(store, 'sources/org.osbuild.files', sha))).toEqual(body);
    expect(JSON.parse(r.stdout).sources['org.osbuild.curl']).toEqual([{ cached: false, checksum: sha }]);
    const dl = parseMonitorStream(r.monitor).state.logLines.find((l) => l.text.includes('Downloaded'));
    expect(dl).toMatchObject({ origin: 'org.osbuild', pipeline: 'source org.osbuild.curl', text: `source/org.osbuild.curl (org.osbuild.curl): Downloaded ${base}/pkg.rpm` });
    const again = await runDouble(args);
    expect(JSON.parse(again.stdout).sources['org.osbuild.curl']).toEqual([{ cached: true, checksum: sha }]);
  });

  it('checksum mismatch and HTTP 404 are source failures with the URL', async () => {
    const wrong = 'sha256:' + 'ab'.repeat(32);
    for (const [checksum, url, re] of [
      [wrong, `${base}/pkg.rpm`, new RegExp(`^failed to move to target directory: checksum mismatch: ${wrong} ${base}/pkg.rpm$`)],
      [sha, `${base}/missing.rpm`, new RegExp(`^curl: error downloading ${base}/missing.rpm: exit code 22$`)],
    ] as const) {
      const f = path.join(work, 'curl-bad.json');
      writeFileSync(f, JSON.stringify(manifest(checksum, url)));
      const r = await runDouble(['--store', path.join(work, 'store-curl-bad'), '--export', 'tree', '--output-directory', path.join(work, 'o'), '--json', f]);
      expect(r.code).toBe(1);
      const res = JSON.parse(r.stdout);
      expect(res.error.details.source.output).toMatch(re);
      expect(res.sources['org.osbuild.curl'].at(-1).error).toMatch(/^curl: finished with return_code \d+ but \[\('sha256:[0-9a-f]+', \{'url': 'http:\/\/127\.0\.0\.1:\d+\/\w+\.rpm'\}\)\] left to download$/);
      expect(res.log).toEqual({});
      const c = classifyOsbuildResult({ exitCode: r.code, stdout: r.stdout });
      expect(c).toMatchObject({ kind: 'source-failure', sourceType: 'org.osbuild.curl', url, checksum });
    }
  });
});
