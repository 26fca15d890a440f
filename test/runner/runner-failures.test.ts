import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMetadata } from '../support/fake-imds.ts';
import { artifactPrefix, logPrefix } from '../../layers/src/compose/blob-keys.ts';
import { ComposeErrorId } from '../../layers/src/compose/compose-errors.ts';
import type { BuildJob } from '../../layers/src/compose/jobs.ts';
import { cancelCompose, readComposeLogs } from '../../layers/src/service/compose-service.ts';
import {
  BUILD_QUEUE,
  DOUBLE,
  ORG,
  REAL_OSBUILD,
  composeIn,
  createWorld,
  invocations,
  midBuild,
  osbuildProcesses,
  processesMentioning,
  queueCompose,
  startAgent,
  startRunnerProcess,
  stopRunnerProcess,
  waitFor,
  type RunnerProcess,
  type World,
} from './helpers.ts';
import { FlakyBlobStore, StaleReceiptQueue } from './fault-ports.ts';

// Failure injection needs the test double's knobs; against a real osbuild only the generic paths make sense.
const DOUBLE_ONLY = Boolean(REAL_OSBUILD);

let world: World | undefined;
let runners: RunnerProcess[] = [];
let servers: Server[] = [];

afterEach(async () => {
  await Promise.all(runners.map(stopRunnerProcess));
  runners = [];
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
  await world?.cleanup();
  world = undefined;
});

const runner = async (w: World, env: Record<string, string> = {}) => {
  const r = await startRunnerProcess(w, env);
  runners.push(r);
  return r;
};

describe.skipIf(DOUBLE_ONLY)('runner failure handling (osbuild test double; skipped when IBS_TEST_OSBUILD names a real osbuild: faults are injected through the double)', { timeout: 120_000 }, () => {
  it('duplicate build jobs for one compose → exactly one build', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    // The manifest worker redelivered: a second, different build job for the same compose.
    await world.deps.queue.send(BUILD_QUEUE, { kind: 'build', orgId: ORG, composeId: compose.id } satisfies BuildJob);
    const env = { OSBUILD_DOUBLE_STAGE_DELAY_MS: '300' };
    await Promise.all([runner(world, { ...env, IBS_RUNNER_ID: 'a' }), runner(world, { ...env, IBS_RUNNER_ID: 'b' })]);
    const done = await composeIn(world, compose.id, 'success', 'failure');
    expect(done.state).toBe('success');
    await waitFor('both jobs deleted', async () => {
      const d = await world!.deps.queue.depth(BUILD_QUEUE);
      return d.visible === 0 && d.inFlight === 0;
    });
    expect(invocations(world)).toHaveLength(1);
    expect(done.history?.filter((h) => h.state === 'building')).toHaveLength(1);
  });

  it('kill -9 of the runner mid-build → a second runner completes it: one success, one artifact set', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    const first = await runner(world, { IBS_RUNNER_ID: 'doomed', OSBUILD_DOUBLE_STAGE_DELAY_MS: '1500' });
    const building = await midBuild(world, compose.id);
    expect(building).toMatchObject({ runnerId: 'doomed', attempt: 1 });
    // The first attempt's log is flushed every 200 ms: kill once its first chunk is stored (a loaded machine can reach
    // 'building' before that), so the test sees what a killed runner leaves behind.
    await waitFor('attempt 1 log stored', async () => ((await readComposeLogs(world!.deps, ORG, compose.id, 0)).text.includes('attempt 1 on runner doomed') ? true : undefined));
    first.child.kill('SIGKILL');
    await first.exited;
    // Its osbuild (own process group) outlives it.
    const doomedDir = `${world.dataDir}/runner/builds/${compose.id}-1`;
    expect(processesMentioning(doomedDir).length).toBeGreaterThan(0);

    await runner(world, { IBS_RUNNER_ID: 'rescuer' });
    // The rescuer's start-up sweep kills the orphan and removes its directory before building.
    await waitFor('orphaned osbuild gone', async () => (processesMentioning(doomedDir).length === 0 && !existsSync(doomedDir) ? true : undefined)).catch(
      (error: Error) => {
        // What was left, for a failure that only shows on a loaded machine.
        const left = processesMentioning(doomedDir).map((pid) => `${pid}: ${readFileSync(`/proc/${pid}/stat`, 'utf8').trim()}`);
        const owner = existsSync(`${doomedDir}/owner.json`) ? readFileSync(`${doomedDir}/owner.json`, 'utf8') : '(none)';
        throw new Error(`${error.message}; processes: ${left.join(' | ') || 'none'}; dir exists: ${existsSync(doomedDir)}; owner.json: ${owner}`, { cause: error });
      },
    );
    const done = await composeIn(world, compose.id, 'success', 'failure');
    expect(done).toMatchObject({ state: 'success', runnerId: 'rescuer', attempt: 2 });
    expect(done.artifacts).toHaveLength(1);
    expect(done.artifacts[0].key).toBe(`${artifactPrefix(ORG, compose.id, 2)}root.tar`);
    // Whatever the dead runner's orphaned osbuild did, only the recorded set is stored.
    const stored = await world.deps.blobs.list(`artifacts/${ORG}/${compose.id}/`);
    expect(stored.map((b) => b.key)).toEqual([done.artifacts[0].key]);
    expect(done.history?.map((h) => h.state)).toEqual(['pending', 'queued', 'building', 'building', 'uploading', 'success']);
    expect(invocations(world)).toHaveLength(2);
    const log = await readComposeLogs(world.deps, ORG, compose.id, 0);
    expect(log.text).toContain('attempt 1 on runner doomed');
    expect(log.text).toContain('attempt 2 on runner rescuer');
    expect(await world.deps.queue.depth(BUILD_QUEUE)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('cancel mid-build → cancelled within 5 s, osbuild gone, job deleted', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    await runner(world, { OSBUILD_DOUBLE_STAGE_DELAY_MS: '2000' });
    await midBuild(world, compose.id);
    expect(osbuildProcesses(world).length).toBeGreaterThan(0);
    const asked = Date.now();
    // The cancel itself records `cancelled`: the runner can no longer record anything else.
    const cancelled = await cancelCompose(world.deps, ORG, compose.id);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.result?.error).toMatchObject({ id: ComposeErrorId.Cancelled });
    await waitFor('osbuild stopped', async () => osbuildProcesses(world!).length === 0);
    expect(Date.now() - asked).toBeLessThan(5000);
    await waitFor('job deleted', async () => (await world!.deps.queue.depth(BUILD_QUEUE)).inFlight === 0);
    expect((await world.deps.store.get(ORG, compose.id))?.history?.map((h) => h.state)).toEqual(['pending', 'queued', 'building', 'cancelled']);
    expect(await world.deps.queue.depth(BUILD_QUEUE)).toEqual({ visible: 0, inFlight: 0 });
    expect(await world.deps.blobs.list(`artifacts/${ORG}/${compose.id}/`)).toEqual([]);
  });

  it('osbuild exit 1 (a stage fails) → failure naming the stage and the end of its output', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    await runner(world, { OSBUILD_DOUBLE_FAIL_STAGE: 'org.osbuild.chmod' });
    const failed = await composeIn(world, compose.id, 'failure', 'success');
    expect(failed.result).toMatchObject({ success: false, failedStage: 'org.osbuild.chmod', failedPipeline: 'os' });
    expect(failed.result?.error?.id).toBe(ComposeErrorId.BuildFailed);
    expect(failed.result?.error?.reason).toMatch(/stage org\.osbuild\.chmod failed in pipeline os: RuntimeError: injected failure/);
    const details = failed.result?.error?.details as { outputTail: string[]; stage: string };
    expect(details.stage).toBe('org.osbuild.chmod');
    expect(details.outputTail.join('\n')).toContain('Traceback');
    const log = await readComposeLogs(world.deps, ORG, compose.id, 0);
    expect(log.text).toContain('injected failure for org.osbuild.chmod');
    expect(log.complete).toBe(true);
    expect(await world.deps.queue.depth(BUILD_QUEUE)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('osbuild exit 2 (manifest invalid) → permanent failure, never retried', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    const manifest = JSON.parse((await readComposeBlob(world, compose.manifestKey!)).toString()) as Record<string, unknown>;
    await world.deps.blobs.put(compose.manifestKey!, JSON.stringify({ ...manifest, bogus: true }), { contentType: 'application/json' });
    await runner(world, { IBS_MAX_RECEIVES: '3', IBS_RETRY_DELAY_SECONDS: '0' });
    const failed = await composeIn(world, compose.id, 'failure', 'success');
    expect(failed.result?.error?.id).toBe(ComposeErrorId.ManifestInvalid);
    expect(failed.result?.error?.reason).toMatch(/manifest invalid: .*bogus/);
    expect(failed.attempt).toBe(1);
    // Longer than a visibility timeout: nothing comes back.
    await new Promise((r) => setTimeout(r, 3500));
    expect(invocations(world)).toHaveLength(1);
    expect((await world.deps.store.get(ORG, compose.id))?.state).toBe('failure');
    expect(await world.deps.queue.depth(BUILD_QUEUE)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('osbuild crashing without a result is retried, then fails after the last attempt', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    // osbuild dies with a Python traceback and no --json result (answers --version normally, so the probe passes).
    const crashing = join(world.dataDir, 'crashing-osbuild.sh');
    writeFileSync(
      crashing,
      `#!/bin/sh\nif [ "$1" = --version ]; then exec "${DOUBLE}" "$@"; fi\ncat >/dev/null\n` +
        `printf '%s\\n' "$*" >> "${world.invocationLog}.crash"\n` +
        `printf 'Traceback (most recent call last):\\n  File "osbuild/main_cli.py", line 1\\nMemoryError\\n' >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    await runner(world, { IBS_OSBUILD: crashing, IBS_MAX_RECEIVES: '2', IBS_RETRY_DELAY_SECONDS: '0' });
    const failed = await composeIn(world, compose.id, 'failure', 'success');
    expect(failed.attempt).toBe(2);
    expect(failed.result?.error?.id).toBe(ComposeErrorId.BuildFailed);
    expect(failed.result?.error?.reason).toBe('MemoryError');
    expect(failed.result?.error?.details).toMatchObject({ reason: 'exception', exitCode: 1 });
    expect(readFileSync(`${world.invocationLog}.crash`, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(failed.history?.map((h) => h.state)).toEqual(['pending', 'queued', 'building', 'queued', 'building', 'failure']);
  });

  it('a retry whose message can no longer be delayed (stale receipt) goes back as a fresh message, not nowhere', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    // Crashes once (a retryable failure), then builds with the test double.
    const once = join(world.dataDir, 'crash-once-osbuild.sh');
    const marker = join(world.dataDir, 'crashed-once');
    writeFileSync(
      once,
      `#!/bin/sh
if [ "$1" != --version ] && [ ! -e "${marker}" ]; then cat >/dev/null; touch "${marker}"; echo 'MemoryError' >&2; exit 1; fi
` +
        `exec "${DOUBLE}" "$@"
`,
      { mode: 0o755 },
    );
    const queue = new StaleReceiptQueue(world.deps.queue);
    const { agent } = await startAgent(world, { queue, env: { IBS_OSBUILD: once, IBS_RETRY_DELAY_SECONDS: '0' } });
    try {
      const done = await composeIn(world, compose.id, 'success', 'failure');
      expect(done).toMatchObject({ state: 'success', attempt: 2, delivery: 1 });
      expect(queue.refusedDelays).toBe(1);
      expect(queue.sent).toBe(1);
      expect(done.history?.map((h) => h.state)).toEqual(['pending', 'queued', 'building', 'queued', 'building', 'uploading', 'success']);
    } finally {
      await agent.shutdown('test over');
    }
  });

  it('disk too small → a clear failure before osbuild runs', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    await runner(world, { IBS_MIN_FREE_BYTES: String(Number.MAX_SAFE_INTEGER) });
    const failed = await composeIn(world, compose.id, 'failure', 'success');
    expect(failed.result?.error?.id).toBe(ComposeErrorId.DiskSpace);
    expect(failed.result?.error?.reason).toMatch(/^not enough disk space on the runner: .* free in .*, 8\.0 PiB needed$/);
    expect(invocations(world)).toHaveLength(0);
  });

  it('upload fails twice, then succeeds → success with one artifact', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    const flaky = new FlakyBlobStore(world.deps.blobs, (key) => key.startsWith('artifacts/'), 2);
    const { agent } = await startAgent(world, { blobs: flaky });
    try {
      const done = await composeIn(world, compose.id, 'success', 'failure');
      expect(done.state).toBe('success');
      expect(flaky.failures).toBe(2);
      expect(flaky.puts.filter((k) => k.startsWith('artifacts/'))).toEqual([done.artifacts[0].key, done.artifacts[0].key, done.artifacts[0].key]);
      expect(await world.deps.blobs.list(`artifacts/${ORG}/${compose.id}/`)).toHaveLength(1);
      expect((await world.deps.blobs.head(done.artifacts[0].key))?.size).toBe(done.artifacts[0].size);
    } finally {
      await agent.shutdown('test over');
    }
  });

  it('spot interruption notice → build stopped and handed back (queued, visible), not failed', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    const imds = await startMetadata({});
    servers.push(imds.server);
    const first = await runner(world, {
      IBS_IMDS_ENDPOINT: imds.url,
      IBS_IMDS_POLL_SECONDS: '0.2',
      OSBUILD_DOUBLE_STAGE_DELAY_MS: '2000',
    });
    expect(first.ready.spotWatch).toBe(true);
    await midBuild(world, compose.id);
    imds.paths['meta-data/spot/instance-action'] = JSON.stringify({ action: 'terminate', time: new Date(Date.now() + 120_000).toISOString() });
    const queued = await composeIn(world, compose.id, 'queued', 'failure', 'success', 'cancelled');
    expect(queued.state).toBe('queued');
    expect(queued.requeueReason).toMatch(/spot interruption notice: terminate/);
    expect(queued.result).toBeUndefined();
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(await world.deps.queue.depth(BUILD_QUEUE)).toEqual({ visible: 1, inFlight: 0 });
    expect(osbuildProcesses(world)).toEqual([]);
    // IMDSv2: every metadata read carried the session token.
    expect(imds.tokenRequests).toBeGreaterThan(0);
    expect(imds.reads.length).toBeGreaterThan(0);
    expect(imds.reads.every((read) => read.token === imds.token)).toBe(true);

    // Another runner picks the handed-back job up.
    await runner(world, { IBS_RUNNER_ID: 'next' });
    const done = await composeIn(world, compose.id, 'success', 'failure');
    // Handed back as a fresh message: the interruption did not count towards the dead-letter limit (delivery 1),
    // while the build itself is the compose's second attempt.
    expect(done).toMatchObject({ state: 'success', runnerId: 'next', attempt: 2, delivery: 1 });
    // Both attempts' logs are kept, in order: the second did not overwrite the first.
    const chunks = await world.deps.blobs.list(logPrefix(ORG, compose.id));
    const { text: log } = await readComposeLogs(world.deps, ORG, compose.id, 0);
    expect(log).toMatch(/==> compose \S+ attempt 1 on runner [\s\S]*==> handing the build back: spot interruption notice[\s\S]*==> compose \S+ attempt 2 on runner next/);
    expect(new Set(chunks.map((c) => c.key.slice(logPrefix(ORG, compose.id).length, -11)))).toEqual(new Set(['001', '002']));
    expect(done.jobMessageId).not.toBe(queued.jobMessageId);
    expect(done.history?.map((h) => h.state)).toEqual(['pending', 'queued', 'building', 'queued', 'building', 'uploading', 'success']);
  });

  it('SIGTERM mid-build → the job is handed back at once, never left claimed', async () => {
    world = createWorld();
    const compose = await queueCompose(world.deps);
    const first = await runner(world, { OSBUILD_DOUBLE_STAGE_DELAY_MS: '2000' });
    await midBuild(world, compose.id);
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const compose2 = await world.deps.store.get(ORG, compose.id);
    expect(compose2?.state).toBe('queued');
    expect(compose2?.requeueReason).toBe('runner received SIGTERM');
    expect(await world.deps.queue.depth(BUILD_QUEUE)).toEqual({ visible: 1, inFlight: 0 });
    expect(osbuildProcesses(world)).toEqual([]);
  });
});

async function readComposeBlob(w: World, key: string): Promise<Buffer> {
  const stream = await w.deps.blobs.get(key);
  const parts: Buffer[] = [];
  for await (const chunk of stream!) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}
