import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { DOUBLE, REAL_OSBUILD, killProcessesMentioning, postTarCompose, processesMentioning, startDoubleStack, waitFor } from '../runner/helpers.ts';

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

describe.skipIf(Boolean(REAL_OSBUILD))('local mode supervises its runners (test double; skipped with IBS_TEST_OSBUILD: needs its stage delay)', { timeout: 120_000 }, () => {
  it('a runner killed mid-build is replaced by a runner with a new name, which takes the build over to success', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ibs-supervise-'));
    stack = await startDoubleStack(dataDir, 400, 'error');
    const created = await postTarCompose(stack);
    const { id } = (await created.json()) as { id: string };
    const first = await waitFor('the build running', async () => {
      const c = await stack!.deps.store.get('local', id);
      return c?.state === 'building' && c.runnerId ? c.runnerId : undefined;
    }, 60_000);
    stack.runners.runners[0].kill('SIGKILL');

    const done = await waitFor('the build finished after the runner died', async () => {
      const c = await stack!.deps.store.get('local', id);
      return c && ['success', 'failure', 'cancelled'].includes(c.state) ? c : undefined;
    }, 90_000);
    expect(done.state, JSON.stringify(done.result)).toBe('success');
    expect(done.runnerId).not.toBe(first);
    expect(stack.runners.started).toHaveLength(2);
    expect(new Set(stack.runners.started).size).toBe(2);
    expect(stack.runners.started[1]).toBe(`${stack.runners.started[0]}.1`);
  });

  it('kill -9 of the stack process leaves no runner behind', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ibs-orphan-'));
    const service = execa('node', ['--import', 'tsx', 'local/start.ts'], {
      env: { IBS_PORT: '0', IBS_RUNNERS: '2', IBS_DATA_DIR: dataDir, IBS_OSBUILD: DOUBLE, IBS_RECEIVE_WAIT_SECONDS: '1', IBS_LOG_LEVEL: 'error' },
      reject: false,
    });
    await waitFor('both runners started', () => (runnerPids(dataDir!).length === 2 ? true : undefined), 60_000, 200);
    service.kill('SIGKILL');
    await service;
    await waitFor('every runner gone', () => (runnerPids(dataDir!).length === 0 ? true : undefined), 30_000, 200);
  });
});

/** Runner agents of one data directory: their command line names runner-child.ts, their environment the directory. */
function runnerPids(dir: string): number[] {
  return processesMentioning('runner-child.ts').filter((pid) => {
    try {
      // /proc/<pid>/environ is NUL-separated KEY=VALUE.
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`IBS_DATA_DIR=${dir}`);
    } catch {
      return false;
    }
  });
}
