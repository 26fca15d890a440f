import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { REAL_OSBUILD, killProcessesMentioning, postTarCompose, startDoubleStack, waitFor } from './helpers.ts';

let stack: LocalStack | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  if (dataDir) {
    killProcessesMentioning(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }
  dataDir = undefined;
});

interface StatusBody {
  image_status: { status: string; progress?: { done: number; total: number; pipeline?: string; stage?: string } };
  state: string;
}
interface LogsBody {
  offset: number;
  next_offset: number;
  complete: boolean;
  logs: string;
}

// Needs the double's stage delay to catch the build in the middle.
describe.skipIf(Boolean(REAL_OSBUILD))('progress and logs through the API while the runner builds (test double; skipped with IBS_TEST_OSBUILD: needs its stage delay)', { timeout: 120_000 }, () => {
  it('shows building with pipeline/stage progress and a growing log, then the complete log', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ibs-runner-api-'));
    stack = await startDoubleStack(dataDir, 1200);
    const api = `${stack.url}/api/image-builder/v1`;
    const created = await postTarCompose(stack, { hostname: 'api-progress' });
    const headers = { authorization: `Bearer ${await stack.mintToken('local')}` };
    expect(created.status, await created.clone().text()).toBeLessThan(300);
    const { id } = (await created.json()) as { id: string };
    const status = async () => (await (await fetch(`${api}/composes/${id}`, { headers })).json()) as StatusBody;
    const logs = async (offset: number) => (await (await fetch(`${api}/composes/${id}/logs?offset=${offset}`, { headers })).json()) as LogsBody;

    // Mid-build: building, with the pipeline and stage osbuild is in, and some of the log.
    const mid = await waitFor('a stage in progress', async () => {
      const s = await status();
      return s.image_status.status === 'building' && s.image_status.progress?.stage ? s : undefined;
    }, 60_000);
    expect(mid.state).toBe('building');
    expect(mid.image_status.progress).toMatchObject({ pipeline: expect.any(String), stage: expect.stringMatching(/^org\.osbuild\./) });
    expect(mid.image_status.progress!.total).toBeGreaterThan(0);
    const early = await waitFor('log text mid-build', async () => {
      const l = await logs(0);
      return l.logs.includes('Starting module') ? l : undefined;
    });
    expect(early.complete).toBe(false);
    expect((await status()).image_status.status).toBe('building');

    // Tailing from next_offset returns only what came after, and the pieces add up to the whole log.
    let tail = early.logs;
    let offset = early.next_offset;
    let last: LogsBody | undefined;
    await waitFor('compose finished with a complete log', async () => {
      last = await logs(offset);
      expect(last.offset).toBe(offset);
      tail += last.logs;
      offset = last.next_offset;
      return last.complete ? last : undefined;
    }, 60_000, 300);
    expect((await status()).image_status.status).toBe('success');
    const whole = await logs(0);
    expect(whole.logs).toBe(tail);
    expect(whole.logs).toContain('Starting module org.osbuild.tar');
    expect(whole.logs).toMatch(/==> success: root\.tar/);
  });
});
