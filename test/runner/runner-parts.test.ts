import { createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logPrefix } from '../../layers/src/compose/blob-keys.ts';
import type { BuildJob } from '../../layers/src/compose/jobs.ts';
import type { QueueMessage } from '../../layers/src/ports/job-queue.ts';
import { claimCompose } from '../../runner-ami/src/claim.ts';
import { sweepAbandonedBuilds } from '../../runner-ami/src/build-dirs.ts';
import { readRunnerConfig } from '../../runner-ami/src/config.ts';
import { imageSizeOf, parseOsbuildSize } from '../../runner-ami/src/disk-space.ts';
import { emptyBlueprint } from '../../layers/src/blueprint/blueprint.ts';
import { findArchitecture, findDistribution, findImageType } from '../../layers/src/distro/registry.ts';
import { generateWithFakePackages } from '../manifest/fixtures.ts';
import { BuildProtection } from '../../runner-ami/src/instance-protection.ts';
import { LogChunkWriter, MAX_LOG_CHUNK_BYTES } from '../../runner-ami/src/log-writer.ts';
import { checkpointsOf, osbuildBuildArgs, parseOsbuildCommand } from '../../runner-ami/src/osbuild-command.ts';
import { ImdsClient } from '../../runner-ami/src/spot-interruption.ts';
import { contentTypeOf, uploadFile } from '../../runner-ami/src/upload.ts';
import { ORG, createWorld, queueCompose, readBlob, silentLogger, type World } from './helpers.ts';

let world: World | undefined;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await world?.cleanup();
  world = undefined;
});

const delivery = (composeId: string, id: string, receiveCount: number): QueueMessage<BuildJob> => ({
  id,
  receiptHandle: `r-${id}-${receiveCount}`,
  receiveCount,
  body: { kind: 'build', orgId: ORG, composeId },
});

describe('claimCompose', () => {
  const STALE_MS = 60_000;
  const at = (iso: string) => ({ staleAfterMs: STALE_MS, now: () => new Date(iso) });
  const claim = (composeId: string, messageId: string, receiveCount: number, runnerId: string, now = '2026-11-27T10:00:00.000Z') =>
    claimCompose(world!.deps.store, delivery(composeId, messageId, receiveCount), runnerId, at(now));

  it('claims a queued compose for this delivery, once', async () => {
    world = createWorld();
    const { id } = await queueCompose(world.deps);
    const first = await claim(id, 'm1', 1, 'runner-a');
    expect(first.kind).toBe('claimed');
    if (first.kind !== 'claimed') return;
    expect(first.compose).toMatchObject({ state: 'building', runnerId: 'runner-a', attempt: 1, delivery: 1, jobMessageId: 'm1' });
    expect(first.takeover).toBe(false);
    // The same delivery seen again (or an older one) never takes the compose from its owner.
    expect((await claim(id, 'm1', 1, 'runner-b')).kind).toBe('ignore');
    // Another build job for the same compose is a duplicate: delete it.
    expect(await claim(id, 'm2', 1, 'runner-b')).toMatchObject({ kind: 'drop' });
    expect((await world.deps.store.get(ORG, id))?.runnerId).toBe('runner-a');
  });

  it('a newer delivery leaves a build whose runner still heartbeats alone, and looks again when a dead one would show', async () => {
    world = createWorld();
    const { id } = await queueCompose(world.deps);
    await claim(id, 'm1', 1, 'runner-a', '2026-11-27T10:00:00.000Z');
    await world.deps.store.patch(ORG, id, { heartbeatAt: '2026-11-27T10:00:30.000Z' });
    // A duplicate delivery 40 s after the owner's last heartbeat: the owner is alive.
    const duplicate = await claim(id, 'm1', 2, 'runner-b', '2026-11-27T10:01:10.000Z');
    expect(duplicate).toMatchObject({ kind: 'later', delaySeconds: 60 });
    expect(await world.deps.store.get(ORG, id)).toMatchObject({ runnerId: 'runner-a', attempt: 1, delivery: 1 });
  });

  it('a newer delivery of the same job takes over from a runner that stopped heartbeating, as a new attempt', async () => {
    world = createWorld();
    const { id } = await queueCompose(world.deps);
    await claim(id, 'm1', 1, 'runner-a', '2026-11-27T10:00:00.000Z');
    await world.deps.store.transition(ORG, id, { from: ['building'], to: 'uploading' });
    // 61 s without a heartbeat.
    const taken = await claim(id, 'm1', 2, 'runner-b', '2026-11-27T10:01:01.000Z');
    expect(taken).toMatchObject({ kind: 'claimed', takeover: true, compose: { state: 'building', runnerId: 'runner-b', attempt: 2, delivery: 2 } });
    // The old owner's conditional writes no longer land.
    expect(await world.deps.store.transition(ORG, id, { from: ['building'], to: 'uploading', runnerId: 'runner-a' })).toBeUndefined();
  });

  it('counts attempts across fresh messages: a handed-back build comes back as the next attempt', async () => {
    world = createWorld();
    const { id } = await queueCompose(world.deps);
    await claim(id, 'm1', 1, 'runner-a');
    // Spot interruption: back to queued, a fresh message (receive count 1 again).
    await world.deps.store.transition(ORG, id, { from: ['building'], to: 'queued', runnerId: 'runner-a' });
    const again = await claim(id, 'm2', 1, 'runner-b');
    expect(again).toMatchObject({ kind: 'claimed', takeover: false, compose: { attempt: 2, delivery: 1, jobMessageId: 'm2' } });
  });

  it('leaves a pending compose for later and drops jobs of finished or unknown composes', async () => {
    world = createWorld();
    const { id } = await queueCompose(world.deps);
    await world.deps.store.transition(ORG, id, { from: ['queued'], to: 'cancelled' });
    expect(await claim(id, 'm1', 1, 'r')).toMatchObject({ kind: 'drop', reason: 'compose already cancelled' });
    expect(await claim('no-such-compose', 'm1', 1, 'r')).toMatchObject({ kind: 'drop' });
    const pending = await world.deps.store.get(ORG, id);
    await world.deps.store.create({ ...pending!, id: 'pending-one', state: 'pending', history: undefined });
    expect(await claim('pending-one', 'm9', 1, 'r')).toMatchObject({ kind: 'later' });
  });
});

describe('LogChunkWriter', () => {
  it('writes the log as ordered chunks of at most 64 KiB that concatenate to the input', async () => {
    world = createWorld();
    const writer = new LogChunkWriter({ blobs: world.deps.blobs, orgId: ORG, composeId: 'c1', attempt: 2, flushIntervalMs: 10_000, log: silentLogger() });
    let expected = '';
    for (let i = 0; i < 4000; i++) {
      const line = `line ${i} ${'é'.repeat(i % 50)} ${'x'.repeat(i % 97)}`;
      writer.line(line);
      expected += `${line}\n`;
    }
    writer.append('y'.repeat(MAX_LOG_CHUNK_BYTES * 2)); // one line longer than a chunk
    expected += 'y'.repeat(MAX_LOG_CHUNK_BYTES * 2);
    await writer.close();
    const chunks = await world.deps.blobs.list(logPrefix(ORG, 'c1'));
    expect(chunks.length).toBeGreaterThan(4);
    expect(chunks.every((c) => c.size <= MAX_LOG_CHUNK_BYTES)).toBe(true);
    expect(chunks[0].key).toBe(`${logPrefix(ORG, 'c1')}002-000000.log`);
    const text = Buffer.concat(await Promise.all(chunks.map((c) => readBlob(world!.deps.blobs, c.key)))).toString('utf8');
    expect(text).toBe(expected);
  });

  it('flushes on its interval without being asked', async () => {
    world = createWorld();
    const writer = new LogChunkWriter({ blobs: world.deps.blobs, orgId: ORG, composeId: 'c2', attempt: 1, flushIntervalMs: 100, log: silentLogger() });
    writer.line('hello');
    // Polled, not a fixed 400 ms: on a loaded machine the timer's write can land later. Nothing but the interval flushes.
    await expect.poll(async () => (await world!.deps.blobs.list(logPrefix(ORG, 'c2'))).map((c) => c.size), { timeout: 10_000, interval: 50 }).toEqual([6]);
    await writer.close();
  });
});

describe('uploadFile', () => {
  it('streams the file with its sha256 and retries a failed put under the same key', async () => {
    world = createWorld();
    const file = join(world.dataDir, 'disk.qcow2');
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    writeFileSync(file, data);
    let calls = 0;
    const blobs = {
      ...world.deps.blobs,
      put: async (...args: Parameters<World['deps']['blobs']['put']>) => {
        if (++calls === 1) throw new Error('503 Slow Down');
        return world!.deps.blobs.put(...args);
      },
    } as World['deps']['blobs'];
    const artifact = await uploadFile(
      { name: 'disk.qcow2', path: file, size: data.length },
      { blobs, prefix: 'artifacts/o/c/1/', attempts: 3, backoffMs: 1, log: silentLogger() },
    );
    expect(calls).toBe(2);
    expect(artifact).toEqual({
      name: 'disk.qcow2',
      key: 'artifacts/o/c/1/disk.qcow2',
      size: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
      contentType: 'application/x-qemu-disk',
    });
    expect((await readBlob(world.deps.blobs, artifact.key)).equals(data)).toBe(true);
  });

  it('gives up after the configured attempts, naming the file', async () => {
    world = createWorld();
    const file = join(world.dataDir, 'root.tar');
    writeFileSync(file, 'x');
    const blobs = { ...world.deps.blobs, put: async () => { throw new Error('boom'); } } as World['deps']['blobs'];
    await expect(
      uploadFile({ name: 'root.tar', path: file, size: 1 }, { blobs, prefix: 'p/', attempts: 2, backoffMs: 1, log: silentLogger() }),
    ).rejects.toThrow('upload of root.tar failed after 2 attempt(s)');
    expect(contentTypeOf('image.raw.xz')).toBe('application/x-xz');
  });
});

describe('osbuild command line', () => {
  it('keeps the configured program and its arguments, then the contract flags', () => {
    expect(parseOsbuildCommand('python3 -m osbuild --libdir /src')).toEqual({ file: 'python3', args: ['-m', 'osbuild', '--libdir', '/src'] });
    expect(parseOsbuildCommand('sudo osbuild')).toEqual({ file: 'sudo', args: ['osbuild'] });
    expect(
      osbuildBuildArgs({ exports: ['qcow2'], outputDirectory: '/o', store: '/s', cacheMaxSize: '20GiB', checkpoints: ['build', 'os'] }),
    ).toEqual([
      '--export', 'qcow2', '--output-directory', '/o', '--store', '/s', '--cache-max-size', '20GiB',
      '--checkpoint', 'build', '--checkpoint', 'os', '--json', '--monitor', 'JSONSeqMonitor', '--monitor-fd', '3', '-',
    ]);
  });

  it('checkpoints only the build and os pipelines the manifest has (a checkpoint matching nothing is exit 1)', () => {
    expect(checkpointsOf({ pipelines: [{ name: 'build' }, { name: 'os' }, { name: 'image' }, { name: 'qcow2' }] })).toEqual(['build', 'os']);
    expect(checkpointsOf({ pipelines: [{ name: 'tree' }, { name: 'archive' }] })).toEqual([]);
    expect(checkpointsOf(undefined)).toEqual([]);
  });
});

describe('sweepAbandonedBuilds', () => {
  it('kills what still works in a dead agent\'s build directory and removes it; leaves live agents and unrelated processes alone', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'ibs-sweep-'));
    const children: ChildProcess[] = [];
    cleanups.push(() => {
      for (const child of children) child.kill('SIGKILL');
      rmSync(workDir, { recursive: true, force: true });
    });
    const exitedPid = async () => {
      const child = spawn('true');
      await once(child, 'exit');
      return child.pid!;
    };
    const sleeper = (argv0: string) => {
      const child = spawn('sh', ['-c', 'sleep 30', argv0], { detached: true, stdio: 'ignore' });
      children.push(child);
      return child.pid!;
    };
    const dir = (name: string, owner: object) => {
      const path = join(workDir, 'builds', name);
      mkdirSync(path, { recursive: true });
      writeFileSync(join(path, 'owner.json'), JSON.stringify(owner));
      return path;
    };
    const dead = await exitedPid();
    const live = dir('live-1', { agentPid: sleeper('live-agent') });
    const crashed = dir('crashed-1', { agentPid: dead });
    const orphanDir = join(workDir, 'builds', 'orphan-1');
    const orphan = sleeper(`${orphanDir}/out`);
    dir('orphan-1', { agentPid: dead });
    const stranger = sleeper('not-osbuild');
    const reused = dir('reused-1', { agentPid: dead });

    const swept = await sweepAbandonedBuilds(workDir, silentLogger());
    // The orphan's whole process group (sh and its sleep) is gone; a recorded pid that is now somebody else is not.
    expect(swept.killed).toEqual([orphan]);
    expect(swept.removed.sort()).toEqual([crashed, orphanDir, reused].sort());
    expect(existsSync(live)).toBe(true);
    expect(() => process.kill(orphan, 0)).toThrow();
    expect(() => process.kill(-orphan, 0)).toThrow();
    expect(process.kill(stranger, 0)).toBe(true);
  });
});

describe('image size for the disk check', () => {
  it('reads osbuild size strings as osbuild does', () => {
    expect(parseOsbuildSize('10737418240')).toBe(10 * 1024 ** 3);
    expect(parseOsbuildSize('10 GiB')).toBe(10 * 1024 ** 3);
    expect(parseOsbuildSize('2GB')).toBe(2e9);
    expect(parseOsbuildSize('512KiB')).toBe(512 * 1024);
    expect(parseOsbuildSize('10G')).toBeUndefined();
    expect(parseOsbuildSize('-1')).toBeUndefined();
  });

  it('finds the image type default size in a generated manifest, and 0 for an image without a disk', () => {
    const distro = findDistribution('fedora-44');
    const arch = findArchitecture(distro, 'x86_64');
    const manifestOf = (name: string) => {
      const type = findImageType(distro, arch, name);
      const request = { distribution: 'fedora-44', architecture: 'x86_64', imageType: type.name, size: 0, blueprint: emptyBlueprint(), seed: 'disk' };
      return { type, manifest: generateWithFakePackages(type, request).generated.manifest };
    };
    const qcow2 = manifestOf('guest-image');
    expect(qcow2.type.defaultSize).toBeGreaterThan(2 * 1024 ** 3);
    // The default size holds the root file system; the partition table adds the boot partitions around it.
    expect(imageSizeOf(qcow2.manifest)).toBeGreaterThanOrEqual(qcow2.type.defaultSize);
    expect(imageSizeOf(qcow2.manifest)).toBeLessThan(qcow2.type.defaultSize + 1024 ** 3);
    expect(imageSizeOf(manifestOf('container').manifest)).toBe(0);
  });
});

describe('readRunnerConfig', () => {
  it('has working defaults and rejects nonsense', () => {
    const config = readRunnerConfig({ IBS_DATA_DIR: '/d' });
    expect(config).toMatchObject({
      backend: 'embedded',
      dataDir: '/d',
      workDir: '/d/runner',
      osbuildCommand: 'osbuild',
      concurrency: 1,
      cacheMaxSize: '20GiB',
      imdsEndpoint: undefined,
    });
    expect(['x86_64', 'aarch64']).toContain(config.architectures[0]);
    expect(config.visibilitySeconds).toBeGreaterThan(config.heartbeatSeconds);
    expect(readRunnerConfig({ IBS_BACKEND: 'aws' }).imdsEndpoint).toBe('http://169.254.169.254');
    expect(readRunnerConfig({ IBS_ARCHITECTURES: 'aarch64, x86_64' }).architectures).toEqual(['aarch64', 'x86_64']);
    expect(() => readRunnerConfig({ IBS_HEARTBEAT_SECONDS: '60', IBS_VISIBILITY_SECONDS: '30' })).toThrow(/IBS_VISIBILITY_SECONDS/);
    expect(() => readRunnerConfig({ IBS_RUNNER_CONCURRENCY: 'many' })).toThrow(/IBS_RUNNER_CONCURRENCY/);
    expect(() => readRunnerConfig({ IBS_BACKEND: 'gcp' })).toThrow(/IBS_BACKEND/);
  });

  it('derives the takeover age from heartbeat and visibility, and bounds the progress cadence', () => {
    expect(readRunnerConfig({})).toMatchObject({ staleAfterSeconds: 90, selfStopAfterSeconds: 78 });
    expect(readRunnerConfig({ IBS_HEARTBEAT_SECONDS: '1', IBS_VISIBILITY_SECONDS: '3', IBS_KILL_GRACE_SECONDS: '2' })).toMatchObject({
      staleAfterSeconds: 3,
      selfStopAfterSeconds: 2,
    });
    // An owner that heartbeats every 30 s must never look stale; a dead one must show before its message returns.
    expect(() => readRunnerConfig({ IBS_RUNNER_STALE_AFTER_SECONDS: '30' })).toThrow(/IBS_RUNNER_STALE_AFTER_SECONDS \(30\) must exceed IBS_HEARTBEAT_SECONDS \(30\)/);
    expect(() => readRunnerConfig({ IBS_RUNNER_STALE_AFTER_SECONDS: '121' })).toThrow(/not exceed IBS_VISIBILITY_SECONDS \(120\)/);
    expect(readRunnerConfig({ IBS_PROGRESS_INTERVAL_MS: '0' }).progressIntervalMs).toBe(200);
    expect(readRunnerConfig({ IBS_PROGRESS_INTERVAL_MS: '60000' }).progressIntervalMs).toBe(2000);
  });
});

describe('BuildProtection', () => {
  it('protects the instance while at least one build runs', async () => {
    const calls: string[] = [];
    const protection = new BuildProtection(
      { protect: async () => void calls.push('protect'), unprotect: async () => void calls.push('unprotect') },
      () => {},
    );
    await protection.acquire();
    await protection.acquire();
    await protection.release();
    expect(calls).toEqual(['protect']);
    await protection.release();
    await protection.acquire();
    await protection.release();
    expect(calls).toEqual(['protect', 'unprotect', 'protect', 'unprotect']);
  });
});

describe('ImdsClient (IMDSv2)', () => {
  it('reads no notice (404), then the notice, with a session token renewed on 401', async () => {
    let notice: string | undefined;
    let tokens = 0;
    let valid = 'tok-1';
    const server: Server = createServer((req, res) => {
      if (req.method === 'PUT' && req.url === '/latest/api/token') {
        tokens++;
        valid = `tok-${tokens}`;
        res.end(valid);
      } else if (req.headers['x-aws-ec2-metadata-token'] !== valid) {
        res.statusCode = 401;
        res.end();
      } else if (notice) res.end(notice);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const client = new ImdsClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    expect(await client.interruptionNotice()).toBeUndefined();
    expect(await client.interruptionNotice()).toBeUndefined();
    expect(tokens).toBe(1);
    valid = 'rotated';
    notice = JSON.stringify({ action: 'stop', time: '2026-01-01T00:00:00Z' });
    expect(await client.interruptionNotice()).toEqual({ action: 'stop', time: '2026-01-01T00:00:00Z' });
    expect(tokens).toBe(2);
  });
});

describe('disk-space', () => {
  it('evicts least recently used store objects first', async () => {
    const { evictStoreObjects } = await import('../../runner-ami/src/disk-space.ts');
    const store = mkdtempSync(join(tmpdir(), 'ibs-store-'));
    cleanups.push(() => rmSync(store, { recursive: true, force: true }));
    const { mkdirSync, utimesSync, existsSync } = await import('node:fs');
    for (const [name, age] of [['old', 3000], ['mid', 2000], ['new', 1000]] as const) {
      mkdirSync(join(store, 'objects', name, 'data'), { recursive: true });
      writeFileSync(join(store, 'objects', name, 'data', 'blob'), Buffer.alloc(1000));
      writeFileSync(join(store, 'objects', name, 'object.lock'), '');
      const t = Date.now() / 1000 - age;
      utimesSync(join(store, 'objects', name, 'object.lock'), t, t);
    }
    expect(await evictStoreObjects(store, 1500)).toBe(2000);
    expect(['old', 'mid', 'new'].map((n) => existsSync(join(store, 'objects', n)))).toEqual([false, false, true]);
  });
});
