import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../layers/src/log/logger.ts';
import type { BuildJob } from '../../layers/src/compose/jobs.ts';
import { BuildJobRun } from '../../runner-ami/src/build-job.ts';
import { BUILD_QUEUE, ORG, createRunnerDeps, createWorld, queueCompose, type World } from './helpers.ts';

// Job messages carry a schema version: a build job this runner cannot read is not built and not deleted.

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

describe('a build job of an unsupported schema', () => {
  it('is not claimed, stays on the queue for the dead-letter path, and the log line names the reason', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    // Only the future job is on the queue: the one queueCompose sent is consumed first.
    const [current] = await world.deps.queue.receive<BuildJob>(BUILD_QUEUE, { maxMessages: 1, visibilitySeconds: 30 });
    await world.deps.queue.delete(BUILD_QUEUE, current.receiptHandle);
    await world.deps.queue.send(BUILD_QUEUE, { ...current.body, schema: 99, plan: 'something new' });
    const [message] = await world.deps.queue.receive<BuildJob>(BUILD_QUEUE, { maxMessages: 1, visibilitySeconds: 30 });
    const lines: string[] = [];
    const deps = await createRunnerDeps(world, { IBS_RUNNER_ID: 'reader' }, createLogger({}, { write: (l) => lines.push(l) }));

    expect(await new BuildJobRun(deps, BUILD_QUEUE, message).run()).toBe('unsupported');
    expect(await world.deps.store.get(ORG, compose.id)).toMatchObject({ state: 'queued', attempt: 0 });
    expect(await world.deps.queue.depth(BUILD_QUEUE)).toEqual({ visible: 0, inFlight: 1 });
    const line = lines.find((l) => l.includes('left for the dead-letter path'));
    expect(line).toMatch(/schema version 99 is not supported/);
  });
});
