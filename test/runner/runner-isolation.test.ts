import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ComposeErrorId } from '../../layers/src/compose/compose-errors.ts';
import { storeDirOf } from '../../runner-ami/src/build-cache.ts';
import { readRunnerConfig } from '../../runner-ami/src/config.ts';
import { ORG, REAL_OSBUILD, REPO, composeIn, composeOfOrgIn, createWorld, invocations, osbuildProcesses, queueCompose, startAgent, type World } from './helpers.ts';

// Tenants share runners: each organization's builds get an osbuild store of their own (issue 17, item 12).

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

const storeArgOf = (argv: string[]): string | undefined => argv[argv.indexOf('--store') + 1];

describe.skipIf(Boolean(REAL_OSBUILD))('runner isolation between organizations (osbuild test double: reads its invocation log)', { timeout: 120_000 }, () => {
  it('composes of different organizations build with different stores, composes of one organization with the same', async () => {
    world = createWorld();
    const w = world;
    const orgs = ['org-isolation-a', 'org-isolation-b', 'org-isolation-a'];
    // The in-process agent's osbuild (the double) inherits this process's environment.
    process.env.OSBUILD_DOUBLE_LOG = w.invocationLog;
    const { agent, config } = await startAgent(w);
    try {
      for (const org of orgs) {
        const compose = await queueCompose(w.deps, {}, org);
        await composeOfOrgIn(w, org, compose.id, 'success', 'failure');
        expect((await w.deps.store.get(org, compose.id))?.state).toBe('success');
      }
    } finally {
      await agent.shutdown('test over');
      delete process.env.OSBUILD_DOUBLE_LOG;
    }
    const stores = invocations(w).map((call) => storeArgOf(call.argv));
    expect(stores).toHaveLength(3);
    expect(stores[0]).toBe(storeDirOf(config.workDir, 'org-isolation-a'));
    expect(stores[1]).toBe(storeDirOf(config.workDir, 'org-isolation-b'));
    expect(stores[0]).not.toBe(stores[1]);
    expect(stores[2]).toBe(stores[0]);
    // Neither is the shared store every build used before.
    expect(stores).not.toContain(`${config.workDir}/store`);
  });

  it('a build past IBS_BUILD_TIMEOUT_SECONDS is stopped and fails with the limit as its reason, without a retry', async () => {
    world = createWorld();
    const w = world;
    process.env.OSBUILD_DOUBLE_LOG = w.invocationLog;
    process.env.OSBUILD_DOUBLE_STAGE_DELAY_MS = '3000';
    const env = { IBS_BUILD_TIMEOUT_SECONDS: '2', IBS_MAX_RECEIVES: '3', IBS_RETRY_DELAY_SECONDS: '0' };
    const { agent } = await startAgent(w, { env });
    const started = Date.now();
    try {
      const compose = await queueCompose(w.deps);
      const failed = await composeIn(w, compose.id, 'failure', 'success');
      expect(failed.state).toBe('failure');
      expect(failed.result?.error).toMatchObject({ id: ComposeErrorId.BuildFailed, reason: 'build exceeded the time limit of 2 s' });
      expect(failed.attempt).toBe(1);
      // Stopped at the limit (plus the kill grace), not after every stage's delay.
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(osbuildProcesses(w)).toEqual([]);
      expect(invocations(w)).toHaveLength(1);
      expect((await w.deps.store.get(ORG, compose.id))?.state).toBe('failure');
    } finally {
      await agent.shutdown('test over');
      delete process.env.OSBUILD_DOUBLE_LOG;
      delete process.env.OSBUILD_DOUBLE_STAGE_DELAY_MS;
    }
  });
});

describe('runner isolation settings', () => {
  it('IBS_BUILD_TIMEOUT_SECONDS defaults to 4 h and refuses values outside 1 s to 7 days', () => {
    expect(readRunnerConfig({}).buildTimeoutSeconds).toBe(14_400);
    expect(readRunnerConfig({ IBS_BUILD_TIMEOUT_SECONDS: '60' }).buildTimeoutSeconds).toBe(60);
    for (const bad of ['0', '-5', '1.5', 'soon', String(8 * 86400)]) {
      expect(() => readRunnerConfig({ IBS_BUILD_TIMEOUT_SECONDS: bad }), bad).toThrow(/IBS_BUILD_TIMEOUT_SECONDS/);
    }
  });

  it('builds per instance: the fleet scaler and the runners read the same parameter, so one build per instance is one setting', () => {
    const template = readFileSync(join(REPO, 'serverless.yml'), 'utf8');
    expect(template).toContain('IBS_BUILDS_PER_INSTANCE: ${param:runnerConcurrency}');
    const runnerLines = template.match(/^\s*IBS_RUNNER_CONCURRENCY=.*$/gm) ?? [];
    // One Auto Scaling group per architecture, each with the scaler's figure.
    expect(runnerLines.map((l) => l.trim())).toEqual(['IBS_RUNNER_CONCURRENCY=${param:runnerConcurrency}', 'IBS_RUNNER_CONCURRENCY=${param:runnerConcurrency}']);
    expect(template).toMatch(/^\s*runnerConcurrency: 1$/m);
    expect(readRunnerConfig({}).concurrency).toBe(1);
  });
});
