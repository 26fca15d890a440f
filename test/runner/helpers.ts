import { spawn, type ChildProcess } from 'node:child_process';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { buffer } from 'node:stream/consumers';
import { createEmbeddedAdapters } from '../../layers/src/adapters/embedded/embedded-adapters.ts';
import type { Compose } from '../../layers/src/compose/compose.ts';
import { createLogger, type Logger } from '../../layers/src/log/logger.ts';
import { createCompose } from '../../layers/src/service/compose-service.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { generateComposeManifest } from '../../layers/src/service/generate-compose-manifest.ts';
import { RunnerAgent } from '../../runner-ami/src/agent.ts';
import type { RunnerDeps } from '../../runner-ami/src/run-context.ts';
import { readRunnerConfig, type RunnerConfig } from '../../runner-ami/src/config.ts';
import { BuildProtection, noInstanceProtection, type InstanceProtection } from '../../runner-ami/src/instance-protection.ts';
import { parseOsbuildCommand, probeOsbuild } from '../../runner-ami/src/osbuild-command.ts';
import type { BlobStore } from '../../layers/src/ports/blob-store.ts';
import type { ComposeStore } from '../../layers/src/ports/compose-store.ts';
import type { JobQueue } from '../../layers/src/ports/job-queue.ts';

export const REPO = resolve(import.meta.dirname, '../..');
export const DOUBLE = join(REPO, 'test/osbuild-double/osbuild');
/** A real osbuild command line (e.g. `sudo osbuild`) to run the same tests against; the test double otherwise. */
export const REAL_OSBUILD = process.env.IBS_TEST_OSBUILD?.trim() || undefined;
export const OSBUILD = REAL_OSBUILD ?? DOUBLE;
export const ORG = 'org-runner-test';
export const ARCH = 'x86_64';
export const BUILD_QUEUE = `build-${ARCH}`;

export const silentLogger = (): Logger => createLogger({}, { write: () => {} });

/** Fast cadences so failure paths (heartbeat loss, redelivery) happen within seconds. */
export const FAST_ENV = {
  IBS_ARCHITECTURES: ARCH,
  IBS_HEARTBEAT_SECONDS: '1',
  IBS_VISIBILITY_SECONDS: '3',
  IBS_PROGRESS_INTERVAL_MS: '200',
  IBS_RECEIVE_WAIT_SECONDS: '1',
  IBS_MIN_FREE_BYTES: '1',
  IBS_KILL_GRACE_SECONDS: '2',
  IBS_CACHE_MAX_SIZE: '1GiB',
} as const;

export interface World {
  dataDir: string;
  adapters: ReturnType<typeof createEmbeddedAdapters>;
  deps: ServiceDeps;
  invocationLog: string;
  cleanup(): Promise<void>;
}

/** A private data directory with the embedded adapters, as the API process would have. */
export function createWorld(): World {
  const dataDir = mkdtempSync(join(tmpdir(), 'ibs-runner-test-'));
  const adapters = createEmbeddedAdapters({ dataDir, publicBaseUrl: 'http://127.0.0.1:9' });
  const deps: ServiceDeps = {
    store: adapters.store,
    blobs: adapters.blobs,
    queue: adapters.queue,
    log: silentLogger(),
    config: { downloadUrlTtlSeconds: 60, version: 'test' },
  };
  return {
    dataDir,
    adapters,
    deps,
    invocationLog: join(dataDir, 'osbuild-invocations.jsonl'),
    async cleanup() {
      killProcessesMentioning(dataDir);
      adapters.db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A compose of the test distro's tar image, through the real use cases: stored, manifest generated, build job sent. */
export async function queueCompose(deps: ServiceDeps, customizations: Record<string, unknown> = {}, orgId = ORG): Promise<Compose> {
  const compose = await createCompose(deps, orgId, {
    distribution: 'test-distro-1',
    image_requests: [{ architecture: ARCH, image_type: 'tar', upload_request: { type: 'aws.s3' } }],
    customizations: { hostname: 'runner-test', files: [{ path: '/etc/motd', data: 'hello from the runner test\n' }], ...customizations },
  });
  const outcome = await generateComposeManifest(deps, { kind: 'manifest', orgId, composeId: compose.id });
  if (outcome !== 'queued') throw new Error(`manifest generation ${outcome}`);
  // The manifest job itself is not under test: take it off its queue.
  for (const m of await deps.queue.receive('manifest', { maxMessages: 10 })) await deps.queue.delete('manifest', m.receiptHandle);
  return (await deps.store.get(orgId, compose.id))!;
}

/** Until `check` gives a value; the default deadline leaves room for a loaded CI machine (2 cores, the whole suite). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: last });
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const composeIn = (world: World, id: string, ...states: Compose['state'][]) => composeOfOrgIn(world, ORG, id, ...states);

/** Until the compose of `orgId` is in one of `states`. */
export const composeOfOrgIn = (world: World, orgId: string, id: string, ...states: Compose['state'][]) =>
  waitFor(`compose ${id} in ${states.join('|')}`, async () => {
    const c = await world.deps.store.get(orgId, id);
    return c && states.includes(c.state) ? c : undefined;
  }, 60_000);

export interface RunnerProcess {
  child: ChildProcess;
  ready: Record<string, unknown>;
  stderr: () => string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The agent as local mode runs it: `node --import tsx runner-ami/src/main.ts`, configured by environment. */
export async function startRunnerProcess(world: World, env: Record<string, string> = {}): Promise<RunnerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'runner-ami/src/main.ts')], {
    cwd: REPO,
    env: {
      ...process.env,
      ...FAST_ENV,
      IBS_DATA_DIR: world.dataDir,
      IBS_OSBUILD: OSBUILD,
      OSBUILD_DOUBLE_LOG: world.invocationLog,
      IBS_LOG_LEVEL: 'debug',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const lines = createInterface({ input: child.stdout! });
  const ready = await Promise.race([
    new Promise<Record<string, unknown>>((resolveReady) =>
      lines.on('line', (line) => {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (entry.message === 'runner ready') resolveReady(entry);
        } catch {
          // not a log line
        }
      }),
    ),
    exited.then((e) => {
      throw new Error(`runner exited before it was ready (${e.code ?? e.signal}): ${stderr}`);
    }),
    // `node --import tsx` compiles the agent first: seconds on a loaded machine.
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`runner not ready after 60 s: ${stderr}`)), 60_000)),
  ]);
  return { child, ready, stderr: () => stderr, exited };
}

export async function stopRunnerProcess(runner: RunnerProcess): Promise<void> {
  if (runner.child.exitCode !== null || runner.child.signalCode !== null) return;
  runner.child.kill('SIGTERM');
  const timer = setTimeout(() => runner.child.kill('SIGKILL'), 15_000);
  await runner.exited;
  clearTimeout(timer);
}

/** An agent in this process (for injecting faults into the ports). */
export async function startAgent(
  world: World,
  options: {
    env?: Record<string, string>;
    store?: ComposeStore;
    blobs?: BlobStore;
    queue?: JobQueue;
    protection?: InstanceProtection;
    uploadBackoffMs?: number;
  } = {},
): Promise<{ agent: RunnerAgent; config: RunnerConfig }> {
  const config = readRunnerConfig({
    ...FAST_ENV,
    IBS_DATA_DIR: world.dataDir,
    IBS_OSBUILD: OSBUILD,
    IBS_RUNNER_ID: `in-process-${Math.random().toString(36).slice(2, 8)}`,
    ...options.env,
  });
  const command = parseOsbuildCommand(config.osbuildCommand);
  const agent = new RunnerAgent({
    store: options.store ?? world.adapters.store,
    blobs: options.blobs ?? world.adapters.blobs,
    queue: options.queue ?? world.adapters.queue,
    config,
    log: silentLogger(),
    osbuild: { command, probe: await probeOsbuild(command) },
    protection: new BuildProtection(options.protection ?? noInstanceProtection, () => {}),
    uploadBackoffMs: options.uploadBackoffMs ?? 50,
  });
  agent.start();
  return { agent, config };
}

/** The deps of one BuildJobRun driven directly by a test (no agent loop): the world's ports, this config and log. */
export async function createRunnerDeps(world: World, env: Record<string, string>, log: Logger = silentLogger()): Promise<RunnerDeps> {
  const config = readRunnerConfig({ ...FAST_ENV, IBS_DATA_DIR: world.dataDir, IBS_OSBUILD: OSBUILD, ...env });
  const command = parseOsbuildCommand(config.osbuildCommand);
  return {
    store: world.deps.store,
    blobs: world.deps.blobs,
    queue: world.deps.queue,
    config,
    log,
    osbuild: { command, probe: await probeOsbuild(command) },
    protection: new BuildProtection(noInstanceProtection, () => {}),
    activeBuilds: () => 1,
    uploadBackoffMs: 1,
  };
}

/** Until osbuild runs and has reported progress for this compose. */
export const midBuild = (w: World, id: string) =>
  waitFor('osbuild mid-build', async () => {
    const c = await w.deps.store.get(ORG, id);
    return c?.state === 'building' && c.progress?.stage ? c : undefined;
  });

/** osbuild processes of this world's builds (found by the build directory in their command line). */
export const osbuildProcesses = (w: World) => processesMentioning(`${w.dataDir}/runner/builds`);

/** osbuild build invocations recorded by the test double (`OSBUILD_DOUBLE_LOG`), without the `--version` probes. */
export function invocations(world: World): { argv: string[] }[] {
  try {
    return readFileSync(world.invocationLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => ({ argv: JSON.parse(l) as string[] }))
      .filter((call) => call.argv.includes('--export'));
  } catch {
    return [];
  }
}

/** Processes whose command line or environment names `needle` (osbuild runs orphaned by a kill -9 of their runner). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // gone or not ours
    }
  }
  return pids;
}

export function killProcessesMentioning(needle: string): void {
  for (const pid of processesMentioning(needle)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export async function readBlob(blobs: BlobStore, key: string): Promise<Buffer> {
  const stream = await blobs.get(key);
  if (!stream) throw new Error(`blob ${key} missing`);
  return buffer(stream);
}

/** Member names of a ustar archive (enough to check the image's content without a tar tool). */
export function tarMembers(data: Buffer): string[] {
  const names: string[] = [];
  let offset = 0;
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
    const name = field(0, 100);
    const prefix = field(345, 155);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    names.push(prefix ? `${prefix}/${name}` : name);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

/** A local stack with one runner on the osbuild test double, each stage slowed so a test can act mid-build. */
export async function startDoubleStack(dataDir: string, stageDelayMs: number, logLevel = 'warn'): Promise<LocalStack> {
  return startLocalStack({
    dataDir,
    port: 0,
    runners: 1,
    log: silentLogger(),
    runnerEnv: { ...FAST_ENV, IBS_OSBUILD: DOUBLE, OSBUILD_DOUBLE_STAGE_DELAY_MS: String(stageDelayMs), IBS_LOG_LEVEL: logLevel },
  });
}

/** POST /compose of a test-distro tar image for the organization `local`; the response. */
export const postTarCompose = async (stack: LocalStack, customizations?: Record<string, unknown>) =>
  fetch(`${stack.url}/api/image-builder/v1/compose`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.mintToken('local')}` },
    body: JSON.stringify({ distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }], ...(customizations ? { customizations } : {}) }),
  });
