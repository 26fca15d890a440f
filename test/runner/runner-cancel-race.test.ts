import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { manifestKey } from '../../layers/src/compose/blob-keys.ts';
import type { Compose } from '../../layers/src/compose/compose.ts';
import type { BuildJob } from '../../layers/src/compose/jobs.ts';
import { ConflictError } from '../../layers/src/errors.ts';
import { cancelCompose } from '../../layers/src/service/compose-service.ts';
import { BuildJobRun } from '../../runner-ami/src/build-job.ts';
import { BUILD_QUEUE, ORG, createRunnerDeps, createWorld, type World } from './helpers.ts';

// Bug 3 of issue 11: a cancel that was answered 200 while the build was finishing still ended in `success`.

const ITERATIONS = 200;
/** Races at a time (each on its own queue): the waits for osbuild overlap, and so do the runs' store writes. */
const PARALLEL = 4;

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

/** An osbuild that builds nothing and succeeds at once (a `tar` export of one file): the race is the runner's. */
function writeInstantOsbuild(dir: string): string {
  const file = join(dir, 'instant-osbuild.sh');
  writeFileSync(
    file,
    `#!/bin/sh
if [ "$1" = --version ]; then echo 'osbuild 191'; exit 0; fi
cat >/dev/null
while [ $# -gt 0 ]; do [ "$1" = --output-directory ] && out="$2"; shift; done
mkdir -p "$out/tar" && printf 'image' > "$out/tar/root.tar"
echo '{"type": "result", "success": true, "metadata": {}}'
`,
    { mode: 0o755 },
  );
  return file;
}

async function queueInstantCompose(w: World, queueName: string): Promise<Compose> {
  const id = randomUUID();
  const now = new Date().toISOString();
  const compose: Compose = {
    id,
    orgId: ORG,
    request: {},
    spec: { distribution: 'test-distro-1', architecture: 'x86_64', imageType: 'tar', size: 0, uploadType: 'aws.s3' },
    state: 'queued',
    createdAt: now,
    updatedAt: now,
    attempt: 0,
    artifacts: [],
    seed: 'seed',
    manifestKey: manifestKey(ORG, id),
    exports: ['tar'],
  };
  await w.deps.blobs.put(compose.manifestKey!, JSON.stringify({ version: '2', pipelines: [], sources: {} }), { contentType: 'application/json' });
  await w.deps.store.create(compose);
  await w.deps.queue.send(queueName, { kind: 'build', orgId: ORG, composeId: id } satisfies BuildJob);
  return compose;
}

type CancelAnswer = { status: 200; state: string } | { status: 409; detail: string };

const answerCancel = (w: World, id: string): Promise<CancelAnswer> =>
  cancelCompose(w.deps, ORG, id).then(
    (c) => ({ status: 200, state: c.state }),
    (error: unknown) => {
      if (error instanceof ConflictError) return { status: 409, detail: error.message };
      throw error;
    },
  );

describe('cancel racing the end of a build (runner parts in process, an instant osbuild)', { timeout: 60_000 }, () => {
  it(`after a 200 the compose never becomes success; a 409 names the final state (${ITERATIONS} races with jitter)`, async () => {
    world = createWorld();
    const w = world;
    const deps = await createRunnerDeps(w, { IBS_OSBUILD: writeInstantOsbuild(w.dataDir), IBS_RUNNER_ID: 'racer' });
    const violations: string[] = [];
    const answers = { 200: 0, 409: 0 };
    // The cancel lands anywhere from before the claim to after the success record: spread over the measured run time.
    let runMs = 30;
    const race = async (i: number): Promise<void> => {
      // A queue per race: races run a few at a time, each run must get its own job.
      const queueName = `${BUILD_QUEUE}-race-${i}`;
      const compose = await queueInstantCompose(w, queueName);
      const [message] = await w.deps.queue.receive<BuildJob>(queueName, { maxMessages: 1, visibilitySeconds: 30 });
      const t0 = Date.now();
      const run = new BuildJobRun(deps, queueName, message).run();
      await new Promise((r) => setTimeout(r, Math.random() * runMs * 1.3));
      const answer = await answerCancel(w, compose.id);
      const outcome = await run;
      runMs = runMs * 0.9 + (Date.now() - t0) * 0.1;
      const final = (await w.deps.store.get(ORG, compose.id))!;
      answers[answer.status]++;
      const where = `race ${i}: cancel ${JSON.stringify(answer)}, runner ${outcome}, compose ${final.state}`;
      if (answer.status === 200 && final.state !== 'cancelled') violations.push(where);
      if (answer.status === 409 && !(final.state === 'success' && answer.detail.includes('success'))) violations.push(where);
      if (final.state === 'cancelled') {
        const left = await w.deps.blobs.list(`artifacts/${ORG}/${compose.id}/`);
        if (left.length > 0) violations.push(`${where}: artifacts left ${left.map((b) => b.key).join(', ')}`);
      }
      const depth = await w.deps.queue.depth(queueName);
      if (depth.visible + depth.inFlight > 0) violations.push(`${where}: build job not deleted`);
    };
    for (let i = 0; i < ITERATIONS; i += PARALLEL) {
      await Promise.all(Array.from({ length: PARALLEL }, (_, j) => race(i + j)));
    }
    expect(violations).toEqual([]);
    // Both sides won sometimes, or the jitter missed the race.
    expect(answers[200]).toBeGreaterThan(ITERATIONS / 20);
    expect(answers[409]).toBeGreaterThan(ITERATIONS / 20);
  });
});
