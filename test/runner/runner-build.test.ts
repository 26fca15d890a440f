import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { logPrefix } from '../../layers/src/compose/blob-keys.ts';
import { ComposeErrorId } from '../../layers/src/compose/compose-errors.ts';
import { readComposeLogs } from '../../layers/src/service/compose-service.ts';
import { storeDirOf } from '../../runner-ami/src/build-cache.ts';
import {
  BUILD_QUEUE,
  ORG,
  REAL_OSBUILD,
  composeIn,
  createWorld,
  invocations,
  queueCompose,
  readBlob,
  startRunnerProcess,
  stopRunnerProcess,
  tarMembers,
  type RunnerProcess,
  type World,
} from './helpers.ts';

let world: World | undefined;
let runners: RunnerProcess[] = [];

afterEach(async () => {
  await Promise.all(runners.map(stopRunnerProcess));
  runners = [];
  await world?.cleanup();
  world = undefined;
});

describe(`runner agent process builds a compose (${REAL_OSBUILD ? `real osbuild: ${REAL_OSBUILD}` : 'osbuild test double'})`, { timeout: 120_000 }, () => {
  it('claims the job, runs osbuild with the contract flags, uploads the export and records success', async () => {
    world = createWorld();
    const queued = await queueCompose(world.deps);
    const runner = await startRunnerProcess(world, { IBS_RUNNER_ID: 'runner-a' });
    runners.push(runner);
    expect(runner.ready).toMatchObject({ runnerId: 'runner-a', queues: [BUILD_QUEUE] });
    expect(runner.ready.osbuild).toMatch(/osbuild \d+/);

    const done = await composeIn(world, queued.id, 'success', 'failure');
    expect(done.result, runner.stderr()).toEqual({ success: true });
    expect(done).toMatchObject({ state: 'success', runnerId: 'runner-a', attempt: 1 });
    expect(done.history?.map((h) => h.state)).toEqual(['pending', 'queued', 'building', 'uploading', 'success']);
    expect(done.progress?.total).toBeGreaterThan(0);
    expect(done.progress?.done).toBe(done.progress?.total);

    // One artifact, stored under this attempt, whose recorded size and sha256 are those of the stored bytes.
    expect(done.artifacts).toHaveLength(1);
    const [artifact] = done.artifacts;
    expect(artifact).toMatchObject({ name: 'root.tar', contentType: 'application/x-tar', key: `artifacts/${ORG}/${queued.id}/1/root.tar` });
    const bytes = await readBlob(world.deps.blobs, artifact.key);
    expect(bytes.length).toBe(artifact.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(artifact.sha256);
    const members = tarMembers(bytes).map((m) => m.replace(/^\.\//, ''));
    expect(members).toEqual(expect.arrayContaining(['etc/os-release', 'etc/hostname', 'etc/motd']));

    // The message is gone, nothing is in flight.
    expect(await world.deps.queue.depth(BUILD_QUEUE)).toEqual({ visible: 0, inFlight: 0 });

    // The log tells the build's story and ends complete.
    const logs = await readComposeLogs(world.deps, ORG, queued.id, 0);
    expect(logs.complete).toBe(true);
    expect(logs.text).toContain('Starting pipeline os');
    expect(logs.text).toContain('Starting module org.osbuild.tar');
    expect(logs.text).toMatch(/==> success: root\.tar sha256:[0-9a-f]{64}/);
    expect((await world.deps.blobs.list(logPrefix(ORG, queued.id))).every((b) => b.size <= 64 * 1024)).toBe(true);

    if (!REAL_OSBUILD) {
      // Exactly the command line of the runner contract (checked on the double's invocation log).
      const calls = invocations(world);
      expect(calls).toHaveLength(1);
      const argv = calls[0].argv;
      const out = argv[argv.indexOf('--output-directory') + 1];
      const store = argv[argv.indexOf('--store') + 1];
      expect(argv).toEqual([
        '--export', 'archive',
        '--output-directory', out,
        '--store', store,
        '--cache-max-size', '1GiB',
        '--checkpoint', 'os',
        '--json', '--monitor', 'JSONSeqMonitor', '--monitor-fd', '3', '-',
      ]);
      expect(store).toBe(storeDirOf(`${world.dataDir}/runner`, ORG));
    }
  });

  it('fails every claimed compose, with the reason, when osbuild cannot be executed', async () => {
    world = createWorld();
    const queued = await queueCompose(world.deps);
    const runner = await startRunnerProcess(world, { IBS_OSBUILD: '/nonexistent/bin/osbuild --libdir /x' });
    runners.push(runner);
    expect(runner.ready.osbuild).toBeNull();
    expect(runner.ready.osbuildProblem).toMatch(/\/nonexistent\/bin\/osbuild --libdir \/x.*not found/);
    expect(runner.stderr()).toContain('osbuild is not usable');
    const failed = await composeIn(world, queued.id, 'failure', 'success');
    expect(failed.result?.error).toMatchObject({ id: ComposeErrorId.OsbuildMissing });
    expect(failed.result?.error?.reason).toMatch(/not found/);
    expect(await world.deps.queue.depth(BUILD_QUEUE)).toEqual({ visible: 0, inFlight: 0 });
  });
});
