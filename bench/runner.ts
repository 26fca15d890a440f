/**
 * Runner figures (issue 5):
 *  - queue → osbuild start latency (build job sent → osbuild spawned by the agent; and → osbuild's first progress
 *    record), with the osbuild test double, in-process agent on the embedded adapters;
 *  - upload of a 2 GiB exported file with sha256 while streaming, against `cp` of the same file on the same disk;
 *    peak RSS of the uploading process (a child, so the figure is the upload's own);
 *  - second build of the same manifest with the osbuild store cache against the first.
 * This case uploads to the embedded BlobStore (filesystem, local mode); the upload to the S3 stand-in against
 * `aws s3 cp` is `bench/upload.ts`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmbeddedAdapters } from '../layers/src/adapters/embedded/embedded-adapters.ts';
import { createLogger } from '../layers/src/log/logger.ts';
import { createCompose } from '../layers/src/service/compose-service.ts';
import type { ServiceDeps } from '../layers/src/service/deps.ts';
import { generateComposeManifest } from '../layers/src/service/generate-compose-manifest.ts';
import { RunnerAgent } from '../runner-ami/src/agent.ts';
import { readRunnerConfig } from '../runner-ami/src/config.ts';
import { BuildProtection, noInstanceProtection } from '../runner-ami/src/instance-protection.ts';
import { parseOsbuildCommand, probeOsbuild } from '../runner-ami/src/osbuild-command.ts';
import { uploadFile } from '../runner-ami/src/upload.ts';
import { percentiles } from './stats.ts';

const SELF = fileURLToPath(import.meta.url);
const REPO = join(SELF, '../..');
const DOUBLE = join(REPO, 'test/osbuild-double/osbuild');
const ORG = 'bench';
const silent = createLogger({}, { write: () => {} });

export async function run() {
  const latency = await measureQueueToOsbuildStart(30);
  const cache = await measureCacheSecondBuild(process.env.IBS_TEST_OSBUILD?.trim() || undefined);
  const upload = measureUpload();
  return { queueToOsbuildStart: latency, upload, cache };
}

function world() {
  const dataDir = mkdtempSync(join(tmpdir(), 'ibs-bench-runner-'));
  const adapters = createEmbeddedAdapters({ dataDir, publicBaseUrl: 'http://127.0.0.1:9' });
  const deps: ServiceDeps = { store: adapters.store, blobs: adapters.blobs, queue: adapters.queue, log: silent, config: { downloadUrlTtlSeconds: 60, version: 'bench' } };
  return {
    dataDir,
    adapters,
    deps,
    close() {
      adapters.db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function startAgent(w: ReturnType<typeof world>, osbuild: string, env: Record<string, string>, hooks = {}) {
  const config = readRunnerConfig({
    IBS_DATA_DIR: w.dataDir,
    IBS_OSBUILD: osbuild,
    IBS_ARCHITECTURES: 'x86_64',
    IBS_MIN_FREE_BYTES: '1',
    IBS_CACHE_MAX_SIZE: '1GiB',
    IBS_RECEIVE_WAIT_SECONDS: '20',
    IBS_RUNNER_ID: 'bench-runner',
    ...env,
  });
  const command = parseOsbuildCommand(config.osbuildCommand);
  const agent = new RunnerAgent({
    store: w.adapters.store,
    blobs: w.adapters.blobs,
    queue: w.adapters.queue,
    config,
    log: silent,
    osbuild: { command, probe: await probeOsbuild(command) },
    protection: new BuildProtection(noInstanceProtection, () => {}),
    hooks,
  });
  agent.start();
  return agent;
}

async function queueOne(deps: ServiceDeps, hostname = 'bench'): Promise<{ id: string; sentAt: number }> {
  const compose = await createCompose(deps, ORG, {
    distribution: 'test-distro-1',
    image_requests: [{ architecture: 'x86_64', image_type: 'tar' }],
    customizations: { hostname, files: [{ path: '/etc/motd', data: 'bench\n' }] },
  });
  // The build job is sent inside generateComposeManifest; time the send itself.
  let sentAt = 0;
  const queue = deps.queue;
  const timed: ServiceDeps = {
    ...deps,
    queue: {
      ...queue,
      send: async (name, body, options) => {
        const id = await queue.send(name, body, options);
        if (name.startsWith('build-')) sentAt = performance.now();
        return id;
      },
      receive: queue.receive.bind(queue),
      changeVisibility: queue.changeVisibility.bind(queue),
      delete: queue.delete.bind(queue),
      depth: queue.depth.bind(queue),
    },
  };
  await generateComposeManifest(timed, { kind: 'manifest', orgId: ORG, composeId: compose.id });
  return { id: compose.id, sentAt };
}

async function finished(deps: ServiceDeps, id: string): Promise<string> {
  for (;;) {
    const c = await deps.store.get(ORG, id);
    if (c && ['success', 'failure', 'cancelled'].includes(c.state)) return c.state;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function measureQueueToOsbuildStart(samples: number) {
  const w = world();
  const started = new Map<string, number>();
  const agent = await startAgent(w, DOUBLE, {}, { osbuildStarted: (id: string) => started.set(id, performance.now()) });
  const toSpawn: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const { id, sentAt } = await queueOne(w.deps);
      if ((await finished(w.deps, id)) !== 'success') throw new Error(`latency bench build ${i + 1} failed`);
      toSpawn.push(started.get(id)! - sentAt);
    }
  } finally {
    await agent.shutdown('bench over');
    w.close();
  }
  const spawn = percentiles(toSpawn);
  return {
    samples,
    buildJobSentToOsbuildSpawnMs: spawn,
    targetP50Ms: 300,
    meetsTarget: spawn.p50 <= 300,
    note: 'build job sent → osbuild spawned (receive, claim, manifest fetch, disk check); in-process agent, embedded SQLite queue (long poll), osbuild test double',
  };
}

async function measureCacheSecondBuild(realOsbuild: string | undefined) {
  const w = world();
  // The double's stages cost nothing; give each a fixed cost so skipping cached stages shows, like real stages do.
  const env: Record<string, string> = realOsbuild ? {} : { OSBUILD_DOUBLE_STAGE_DELAY_MS: '250' };
  Object.assign(process.env, env);
  const agent = await startAgent(w, realOsbuild ?? DOUBLE, {});
  try {
    const times: number[] = [];
    for (let i = 0; i < 2; i++) {
      const t = performance.now();
      const { id } = await queueOne(w.deps, 'same-manifest');
      const state = await finished(w.deps, id);
      if (state !== 'success') throw new Error(`cache bench build ${i + 1} ended ${state}`);
      times.push(performance.now() - t);
    }
    return {
      osbuild: realOsbuild ?? 'test double (250 ms per stage)',
      firstBuildMs: Math.round(times[0]),
      secondBuildMs: Math.round(times[1]),
      secondToFirstRatio: +(times[1] / times[0]).toFixed(2),
      note: 'same manifest twice; the second build reuses the checkpointed os pipeline from the store',
    };
  } finally {
    await agent.shutdown('bench over');
    for (const key of Object.keys(env)) delete process.env[key];
    w.close();
  }
}

function measureUpload() {
  const dir = mkdtempSync(join(tmpdir(), 'ibs-bench-upload-'));
  try {
    const fs = statfsSync(dir);
    const free = fs.bavail * fs.bsize;
    // The file, its upload and cp's copy must fit at once.
    const size = free > 7 * 2 ** 30 ? 2 * 2 ** 30 : Math.max(64 * 2 ** 20, Math.floor(free / 4 / 2 ** 20) * 2 ** 20);
    const file = join(dir, 'disk.raw');
    spawnSync('sh', ['-c', `head -c ${size} /dev/urandom > '${file}'`]);
    const child = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--upload-child', file, join(dir, 'data')], {
      cwd: REPO,
      encoding: 'utf8',
      maxBuffer: 16 * 2 ** 20,
    });
    if (child.status !== 0) throw new Error(`upload child failed: ${child.stderr}`);
    const ours = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { seconds: number; peakRssBytes: number; sha256: string };
    const t = performance.now();
    execFileSync('cp', [file, join(dir, 'copy.raw')]);
    const cpSeconds = (performance.now() - t) / 1000;
    const mib = size / 2 ** 20;
    return {
      bytes: size,
      target: 'embedded BlobStore (filesystem, local mode); the S3 upload against aws s3 cp is the upload case',
      oursMiBps: +(mib / ours.seconds).toFixed(1),
      cpMiBps: +(mib / cpSeconds).toFixed(1),
      oursToCpRatio: +(cpSeconds / ours.seconds).toFixed(2),
      peakRssMiB: +(ours.peakRssBytes / 2 ** 20).toFixed(1),
      peakRssTargetMiB: 150,
      note: 'ours = stream + sha256 + store (temp file, rename); cp = plain copy on the same disk; RSS is the uploading process (VmHWM)',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Child mode: upload one file to a fresh embedded BlobStore and report time and peak RSS. */
async function uploadChild(file: string, dataDir: string) {
  const adapters = createEmbeddedAdapters({ dataDir, publicBaseUrl: 'http://127.0.0.1:9' });
  const size = (await (await open(file)).stat()).size;
  const t = performance.now();
  const artifact = await uploadFile({ name: 'disk.raw', path: file, size }, { blobs: adapters.blobs, prefix: 'artifacts/bench/x/1/', attempts: 1, backoffMs: 1, log: silent });
  const seconds = (performance.now() - t) / 1000;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  adapters.db.close();
  process.stdout.write(`${JSON.stringify({ seconds, peakRssBytes: hwm ? Number(hwm[1]) * 1024 : process.memoryUsage().rss, sha256: artifact.sha256 })}\n`);
}

if (process.argv[2] === '--upload-child' && process.argv[1] === SELF) {
  await uploadChild(process.argv[3], process.argv[4]);
}
