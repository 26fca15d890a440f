import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mintLocalToken } from '../../local/auth-keys.ts';

/**
 * The whole flow through `local/start.ts` (what `npm start` runs): API → manifest worker → queue → runner → osbuild →
 * upload → download. osbuild is the test double unless IBS_TEST_OSBUILD names a real osbuild command line.
 */
const root = resolve(import.meta.dirname, '../..');
const realOsbuild = process.env.IBS_TEST_OSBUILD;
const osbuild = realOsbuild ?? join(root, 'test/osbuild-double/osbuild');
const dataDir = mkdtempSync(join(tmpdir(), 'ibs-e2e-'));
const children: ChildProcess[] = [];

interface Started {
  child: ChildProcess;
  api: string;
  output: () => string;
}

async function startStack(): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'local/start.ts')], {
    cwd: root,
    env: {
      ...process.env,
      IBS_PORT: '0',
      IBS_DATA_DIR: dataDir,
      IBS_OSBUILD: osbuild,
      IBS_LOG_LEVEL: 'warn',
      IBS_HEARTBEAT_SECONDS: '2',
      IBS_VISIBILITY_SECONDS: '30',
      // Slow the double's stages down so the test sees the build in progress, and have the runner write progress and
      // log chunks every 200 ms: at the default 2 s the first write could come after a build this short had finished.
      OSBUILD_DOUBLE_STAGE_DELAY_MS: '400',
      IBS_PROGRESS_INTERVAL_MS: '200',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const api = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack did not become ready within 60 s:\n${output}`)), 60_000);
    child.stdout!.on('data', () => {
      const match = output.match(/^ready: (http:\/\/127\.0\.0\.1:\d+\S*)$/m);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`stack exited with ${code}:\n${output}`)));
  });
  return { child, api, output: () => output };
}

async function stopStack(started: Started): Promise<number | null> {
  started.child.kill('SIGINT');
  const [code] = (await once(started.child, 'exit')) as [number | null];
  return code;
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Status {
  state: string;
  image_status: { status: string; progress?: { done: number; total: number; pipeline?: string; stage?: string }; upload_status?: { options: { url: string } }; error?: unknown };
  artifacts: { name: string; size: number; sha256: string; url?: string }[];
  history: { state: string }[];
}

describe(`end to end on the local stack (${realOsbuild ? `real osbuild: ${realOsbuild}` : 'osbuild test double'})`, () => {
  it('builds the test distro tar image, shows progress and logs, serves the artifact, survives a restart', { timeout: 180_000 }, async () => {
    let stack = await startStack();
    // What `ibs token` does; the key stays in the data directory, so the token still works after the restart below.
    const headers = { authorization: `Bearer ${await mintLocalToken({ dataDir, org: 'local', user: 'e2e' })}` };
    const response = await fetch(`${stack.api}/compose`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({
        distribution: 'test-distro-1',
        image_name: 'e2e',
        image_requests: [{ architecture: 'x86_64', image_type: 'tar' }],
        customizations: { hostname: 'demo', files: [{ path: '/etc/motd', mode: '0640', data: 'hello from e2e\n' }] },
      }),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };

    const seen = new Set<string>();
    let sawProgress = false;
    let sawLogsWhileBuilding = false;
    let status: Status;
    const deadline = Date.now() + 150_000;
    for (;;) {
      status = (await (await fetch(`${stack.api}/composes/${id}`, { headers })).json()) as Status;
      seen.add(status.image_status.status);
      if (status.state === 'building' && status.image_status.progress?.pipeline) sawProgress = true;
      if (status.state === 'building' && !sawLogsWhileBuilding) {
        const logs = (await (await fetch(`${stack.api}/composes/${id}/logs`, { headers })).json()) as { logs: string };
        sawLogsWhileBuilding = logs.logs.length > 0;
      }
      if (['success', 'failure'].includes(status.image_status.status)) break;
      if (Date.now() > deadline) throw new Error(`compose did not finish: ${JSON.stringify(status)}\n${stack.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status.image_status.error, stack.output()).toBeUndefined();
    expect(status.image_status.status).toBe('success');
    expect(status.history.map((h) => h.state)).toEqual(['pending', 'queued', 'building', 'uploading', 'success']);
    expect(seen.has('building')).toBe(true);
    if (!realOsbuild) {
      expect(sawProgress).toBe(true);
      expect(sawLogsWhileBuilding).toBe(true);
    }

    const logs = (await (await fetch(`${stack.api}/composes/${id}/logs`, { headers })).json()) as { logs: string; complete: boolean; next_offset: number };
    expect(logs.complete).toBe(true);
    expect(logs.logs).toMatch(/org\.osbuild\.tar/);
    const tail = (await (await fetch(`${stack.api}/composes/${id}/logs?offset=${logs.next_offset}`, { headers })).json()) as { logs: string };
    expect(tail.logs).toBe('');

    // Download through the presigned-style URL and check the image.
    const [artifact] = status.artifacts;
    expect(artifact.name).toBe('root.tar');
    const url = status.image_status.upload_status!.options.url;
    const image = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(image.length).toBe(artifact.size);
    expect(createHash('sha256').update(image).digest('hex')).toBe(artifact.sha256);
    const tarFile = join(dataDir, 'downloaded.tar');
    writeFileSync(tarFile, image);
    const listing = spawnSync('tar', ['-tvf', tarFile], { encoding: 'utf8' });
    expect(listing.status).toBe(0);
    expect(listing.stdout).toMatch(/-rw-r----- .* (\.\/)?etc\/motd/);
    expect(spawnSync('tar', ['-xOf', tarFile, 'etc/hostname'], { encoding: 'utf8' }).stdout).toBe('demo\n');
    expect(spawnSync('tar', ['-xOf', tarFile, 'etc/motd'], { encoding: 'utf8' }).stdout).toBe('hello from e2e\n');

    const tampered = new URL(url);
    tampered.searchParams.set('signature', '0'.repeat(64));
    expect((await fetch(tampered)).status).toBe(403);

    // Ctrl-C stops everything cleanly; the data survives a restart.
    expect(await stopStack(stack)).toBe(0);
    expect(stack.output()).toMatch(/stopped/);
    stack = await startStack();
    const again = (await (await fetch(`${stack.api}/composes/${id}`, { headers })).json()) as Status;
    expect(again.state).toBe('success');
    expect(await stopStack(stack)).toBe(0);
    expect(readFileSync(tarFile).length).toBe(artifact.size);
  });
});
