import { afterEach, describe, expect, it } from 'vitest';
import { storeDirOf } from '../../runner-ami/src/build-cache.ts';
import { REAL_OSBUILD, composeOfOrgIn, createWorld, invocations, queueCompose, startAgent, type World } from './helpers.ts';

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
});
