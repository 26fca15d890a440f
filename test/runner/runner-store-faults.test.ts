import { afterEach, describe, expect, it } from 'vitest';
import type { BuildJob } from '../../layers/src/compose/jobs.ts';
import { BuildJobRun } from '../../runner-ami/src/build-job.ts';
import { claimCompose } from '../../runner-ami/src/claim.ts';
import { SlowAnswerQueue, UnreachableStore } from './fault-ports.ts';
import {
  BUILD_QUEUE,
  ORG,
  REAL_OSBUILD,
  composeIn,
  createRunnerDeps,
  createWorld,
  invocations,
  midBuild,
  osbuildProcesses,
  queueCompose,
  startAgent,
  waitFor,
  type World,
} from './helpers.ts';

// A compose store that stops answering, or answers wrongly: the runner never builds twice, never loses artifacts.

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

/** Sets environment variables the in-process runner's osbuild (the double) inherits, for the duration of `body`. */
async function withDoubleEnv<T>(vars: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe.skipIf(Boolean(REAL_OSBUILD))('runner and an unreachable compose store (osbuild test double; skipped when IBS_TEST_OSBUILD names a real osbuild: the stage delay is a knob of the double)', { timeout: 120_000 }, () => {
  it('a run stopped by a silent store shows its job again only once a takeover is allowed: the next delivery takes over, none is wasted', async () => {
    world = createWorld();
    const w = world;
    const compose = await queueCompose(w.deps);
    const store = new UnreachableStore(w.deps.store);
    const staleAfterSeconds = 6;
    const env = { IBS_RUNNER_ID: 'silent', IBS_VISIBILITY_SECONDS: '6', IBS_RUNNER_STALE_AFTER_SECONDS: String(staleAfterSeconds) };
    // Each visibility extension answers late, so the heartbeat stamped after it is newer than the extension: the job
    // must not come back on the extension's timeout (then a takeover is not allowed yet and a delivery is wasted).
    const deps = { ...(await createRunnerDeps(w, env)), store, queue: new SlowAnswerQueue(w.deps.queue, 400) };
    await withDoubleEnv({ OSBUILD_DOUBLE_STAGE_DELAY_MS: '1000' }, async () => {
      const [message] = await w.deps.queue.receive<BuildJob>(BUILD_QUEUE, { maxMessages: 1, visibilitySeconds: 6 });
      const run = new BuildJobRun(deps, BUILD_QUEUE, message).run();
      await midBuild(w, compose.id);
      store.down = true;
      await waitFor('osbuild stopped', async () => osbuildProcesses(w).length === 0);
      // The queue is reachable: it offers the job again when the stopped run said, not when the last extension ran out.
      const [again] = await waitFor('job offered again', async () => {
        const received = await w.deps.queue.receive<BuildJob>(BUILD_QUEUE, { maxMessages: 1, visibilitySeconds: 30 });
        return received.length ? received : undefined;
      });
      const offeredAt = new Date();
      store.down = false;
      expect(await run).toBe('lost');
      // Heartbeats stuck in the partition have landed now: the offer came after the newest one went stale.
      const { heartbeatAt } = (await w.deps.store.get(ORG, compose.id))!
      expect(offeredAt.getTime() - Date.parse(heartbeatAt!)).toBeGreaterThanOrEqual(staleAfterSeconds * 1000);
      const claim = await claimCompose(w.deps.store, again, 'rescuer', { staleAfterMs: staleAfterSeconds * 1000, now: () => offeredAt });
      expect(claim).toMatchObject({ kind: 'claimed', takeover: true, compose: { attempt: 2, delivery: 2 } });
    });
  });

  it('compose store unreachable mid-build (calls hang) → the runner stops its osbuild before a takeover is allowed; the build is redone', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    const store = new UnreachableStore(world.deps.store);
    // The in-process agent's osbuild inherits this process's environment.
    const saved = { delay: process.env.OSBUILD_DOUBLE_STAGE_DELAY_MS, log: process.env.OSBUILD_DOUBLE_LOG };
    process.env.OSBUILD_DOUBLE_STAGE_DELAY_MS = '1000';
    process.env.OSBUILD_DOUBLE_LOG = world.invocationLog;
    // A takeover window wide enough to measure on a loaded machine: self-stop after 2 s, takeover allowed after 6 s.
    const { agent, config } = await startAgent(world, { store, env: { IBS_VISIBILITY_SECONDS: '6', IBS_RUNNER_STALE_AFTER_SECONDS: '6' } });
    try {
      const building = await midBuild(world, compose.id);
      store.down = true;
      const cut = Date.now();
      // The redo need not be slow (the running osbuild keeps its own environment): a loaded machine then finishes it in time.
      process.env.OSBUILD_DOUBLE_STAGE_DELAY_MS = '0';
      // Past staleAfterSeconds another runner may take over: by then ours must be gone.
      await waitFor('osbuild stopped', async () => (osbuildProcesses(world!).length === 0 ? true : undefined));
      expect(Date.now() - cut).toBeLessThan(config.staleAfterSeconds * 1000);
      expect(await world.deps.store.get(ORG, compose.id)).toMatchObject({ state: 'building', attempt: 1, runnerId: building.runnerId });
      store.down = false;
      // The job comes back after its visibility timeout; the stale owner is taken over as attempt 2.
      const done = await composeIn(world, compose.id, 'success', 'failure');
      expect(done).toMatchObject({ state: 'success', attempt: 2, delivery: 2 });
      expect(invocations(world)).toHaveLength(2);
      expect(store.refused).toBeGreaterThan(0);
    } finally {
      await agent.shutdown('test over');
      for (const [name, value] of [['OSBUILD_DOUBLE_STAGE_DELAY_MS', saved.delay], ['OSBUILD_DOUBLE_LOG', saved.log]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('a run that loses the compose after uploading leaves no artifacts behind', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    const store = new UnreachableStore(world.deps.store);
    // Another runner takes the compose over between the upload and the success record.
    store.beforeTransition = async (orgId, id, request) => {
      if (request.to === 'success') await world!.deps.store.patch(orgId, id, { runnerId: 'thief', attempt: 2 });
    };
    const { agent } = await startAgent(world, { store });
    try {
      await waitFor('run lost the compose', async () => (agent.outcomes.lost ? true : undefined));
      expect(await world.deps.store.get(ORG, compose.id)).toMatchObject({ state: 'uploading', runnerId: 'thief', attempt: 2, artifacts: [] });
      expect(await world.deps.blobs.list(`artifacts/${ORG}/${compose.id}/`)).toEqual([]);
    } finally {
      await agent.shutdown('test over');
    }
  });

  it('a success record whose answer was lost keeps its artifacts', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    const store = new UnreachableStore(world.deps.store);
    // The write lands, the answer does not (DynamoDB retried it and the retry's condition failed).
    store.afterTransition = (request, result) => (request.to === 'success' ? undefined : result);
    const { agent } = await startAgent(world, { store });
    try {
      await waitFor('run finished', async () => (agent.outcomes.lost ? true : undefined));
      const done = await world.deps.store.get(ORG, compose.id);
      expect(done?.state).toBe('success');
      expect(done?.artifacts).toHaveLength(1);
      expect((await world.deps.blobs.list(`artifacts/${ORG}/${compose.id}/`)).map((b) => b.key)).toEqual([done!.artifacts[0].key]);
    } finally {
      await agent.shutdown('test over');
    }
  });
});
