/**
 * `npm start` requires tokens: it creates the data directory's key set and says how to mint a token; X-Org-Id works
 * only behind IBS_INSECURE_ORG_HEADER=1, which prints a warning at start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mintLocalToken } from '../../local/auth-keys.ts';

const root = resolve(import.meta.dirname, '../..');
const started: { child: ChildProcess; dataDir: string }[] = [];

afterEach(async () => {
  for (const { child, dataDir } of started.splice(0)) {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});

async function start(env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ibs-auth-start-'));
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IBS_')));
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'local/start.ts')], {
    cwd: root,
    env: { ...clean, IBS_PORT: '0', IBS_RUNNERS: '0', IBS_DATA_DIR: dataDir, IBS_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push({ child, dataDir });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const api = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line:\n${stdout}\n${stderr}`)), 60_000);
    child.stdout!.on('data', (d) => {
      stdout += d;
      const match = /^ready: (\S+)$/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${stdout}\n${stderr}`)));
  });
  return { api, dataDir, stdout: () => stdout, stderr: () => stderr };
}

describe('npm start and authentication', { timeout: 120_000 }, () => {
  it('by default creates the key set, says how to mint a token, and refuses X-Org-Id without a token', async () => {
    const s = await start();
    expect(s.stdout()).toMatch(/requests need a bearer token: npx ibs token --org ORG --user USER \(key in .*auth\)/);
    expect(s.stderr()).not.toMatch(/WARNING/);
    expect(existsSync(join(s.dataDir, 'auth/signing-key.jwk'))).toBe(true);
    const refused = await fetch(`${s.api}/composes`, { headers: { 'x-org-id': 'acme' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="image-builder"');
    const token = await mintLocalToken({ dataDir: s.dataDir, org: 'acme', user: 'alice' });
    expect((await fetch(`${s.api}/composes`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('IBS_INSECURE_ORG_HEADER=1 prints a warning at start and takes the organization from X-Org-Id', async () => {
    const s = await start({ IBS_INSECURE_ORG_HEADER: '1' });
    // stderr and stdout are separate pipes: the warning may arrive after the ready line.
    await vi.waitFor(() => expect(s.stderr()).toMatch(/WARNING: IBS_INSECURE_ORG_HEADER=1: .*X-Org-Id.*For development only/), { timeout: 10_000 });
    const created = await fetch(`${s.api}/compose`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-org-id': 'dev-org' },
      body: JSON.stringify({ distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }] }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await fetch(`${s.api}/composes/${id}`, { headers: { 'x-org-id': 'dev-org' } })).status).toBe(200);
    expect((await fetch(`${s.api}/composes/${id}`, { headers: { 'x-org-id': 'other-org' } })).status).toBe(404);
  });
});
