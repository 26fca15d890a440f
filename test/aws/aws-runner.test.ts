/**
 * The real runner agent process (`runner-ami/src/main.ts`, IBS_BACKEND=aws, osbuild test double) against the AWS
 * stand-ins (DynamoDB Local, fauxqs S3 + SQS), driven through the local API of `npm run start:aws-local` (started once
 * for the file, without runners; each test starts the runner it needs): a tar compose of test-distro-1 builds and
 * uploads to S3 (downloaded through the presigned URL, checked byte for byte), a failing stage is reported by name, and
 * a cancel stops osbuild mid-build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../layers/src/adapters/aws/aws-adapters.ts';
import { S3BlobStore } from '../../layers/src/adapters/aws/s3-blob-store.ts';
import { uploadFile } from '../../runner-ami/src/upload.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ComposeErrorId } from '../../layers/src/compose/compose-errors.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { dynamoDbLocalMissing, standInEnvironment } from '../../local/aws-stand-ins.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { DOUBLE, FAST_ENV, REPO, killProcessesMentioning, processesMentioning, tarMembers, waitFor } from '../runner/helpers.ts';

const missing = dynamoDbLocalMissing();
const MiB = 2 ** 20;

/** Names of the S3 commands the client sends; `fail(name, n)` makes the next n sends of that command fail. */
function recordCommands(client: S3Client) {
  const sent: string[] = [];
  const failures = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '?';
      sent.push(name);
      const left = failures.get(name) ?? 0;
      if (left > 0) {
        failures.set(name, left - 1);
        throw Object.assign(new Error(`injected ${name} failure`), { name: 'InternalError', $fault: 'server' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return { sent, fail: (name: string, times: number) => failures.set(name, times) };
}
const ORG = 'org-aws-runner';
const HEADERS: Record<string, string> = { 'content-type': 'application/json' };

interface StatusBody {
  state: string;
  image_status: {
    status: string;
    progress?: { done: number; total: number; pipeline?: string; stage?: string };
    error?: { id: number; reason: string; details?: unknown };
    upload_status?: { status: string; type: string; options: { url: string } };
  };
  history: { state: string; at: string }[];
  artifacts: { name: string; size: number; sha256: string; content_type: string; url?: string }[];
}
interface LogsBody {
  offset: number;
  next_offset: number;
  complete: boolean;
  logs: string;
}

interface Runner {
  child: ChildProcess;
  dataDir: string;
  stderr: () => string;
  exited: Promise<unknown>;
}

describe.skipIf(Boolean(missing))(`runner agent on the AWS adapters${missing ? ` (skipped: ${missing})` : ''}`, { timeout: 120_000 }, () => {
  let stack: LocalStack;
  let api: string;
  let runner: Runner | undefined;

  beforeAll(async () => {
    stack = await startLocalStack({ backend: 'aws', dataDir: mkdtempSync(join(tmpdir(), 'ibs-aws-keys-')), port: 0, runners: 0, log: createLogger({}, { write: () => {} }) });
    api = `${stack.url}/api/image-builder/v1`;
    HEADERS.authorization = `Bearer ${await stack.mintToken(ORG)}`;
  }, 120_000);
  afterAll(() => stack?.stop());
  afterEach(async () => {
    if (runner) await stopRunner(runner);
    runner = undefined;
  });

  /** `node --import tsx runner-ami/src/main.ts` as the AMI's unit runs it (bundled there), on the stand-ins. */
  const startRunner = async (env: Record<string, string> = {}): Promise<Runner> => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ibs-aws-runner-'));
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'runner-ami/src/main.ts')], {
      cwd: REPO,
      env: {
        ...process.env,
        ...FAST_ENV,
        ...standInEnvironment(stack.backend.awsConfig!),
        IBS_BACKEND: 'aws',
        IBS_DATA_DIR: dataDir,
        IBS_OSBUILD: DOUBLE,
        IBS_RUNNER_ID: `aws-runner-${Math.random().toString(36).slice(2, 8)}`,
        // No EC2 here: no instance metadata to poll, no Auto Scaling group (IBS_RUNNER_GROUP unset).
        IBS_IMDS_ENDPOINT: 'off',
        IBS_LOG_LEVEL: 'debug',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    const exited = once(child, 'exit');
    runner = { child, dataDir, stderr: () => stderr, exited };
    const lines = createInterface({ input: child.stdout! });
    const ready = await Promise.race([
      new Promise<Record<string, unknown>>((resolve) =>
        lines.on('line', (line) => {
          if (line.includes('"runner ready"')) resolve(JSON.parse(line) as Record<string, unknown>);
        }),
      ),
      exited.then(() => {
        throw new Error(`runner exited before it was ready: ${stderr}`);
      }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`runner not ready after 30 s: ${stderr}`)), 30_000)),
    ]);
    expect(ready).toMatchObject({ queues: ['build-x86_64'], osbuild: expect.stringMatching(/^osbuild \d+/) });
    return runner;
  };

  const stopRunner = async (r: Runner) => {
    if (r.child.exitCode === null && r.child.signalCode === null) {
      r.child.kill('SIGTERM');
      const timer = setTimeout(() => r.child.kill('SIGKILL'), 15_000);
      await r.exited;
      clearTimeout(timer);
    }
    killProcessesMentioning(r.dataDir);
    rmSync(r.dataDir, { recursive: true, force: true });
  };

  const createCompose = async (hostname: string): Promise<string> => {
    const response = await fetch(`${api}/compose`, {
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify({
        distribution: 'test-distro-1',
        image_requests: [{ architecture: 'x86_64', image_type: 'tar', upload_request: { type: 'aws.s3', options: {} } }],
        customizations: { hostname, files: [{ path: '/etc/motd', data: `hello from ${hostname}\n` }] },
      }),
    });
    expect(response.status, await response.clone().text()).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };
  const status = async (id: string) => (await (await fetch(`${api}/composes/${id}`, { headers: HEADERS })).json()) as StatusBody;
  const logs = async (id: string, offset: number) =>
    (await (await fetch(`${api}/composes/${id}/logs?offset=${offset}`, { headers: HEADERS })).json()) as LogsBody;
  const finished = (id: string, timeoutMs = 60_000) =>
    waitFor(`compose ${id} finished`, async () => {
      const s = await status(id);
      return ['success', 'failure'].includes(s.image_status.status) ? s : undefined;
    }, timeoutMs, 200);
  const buildQueueDrained = () =>
    waitFor('build job deleted', async () => {
      const depth = await stack.deps.queue.depth('build-x86_64');
      return depth.visible === 0 && depth.inFlight === 0 ? depth : undefined;
    }, 15_000, 200);

  it('builds a compose: success, artifact in S3 with its sha256 and size, presigned download, logs, full history', async () => {
    const r = await startRunner();
    const id = await createCompose('aws-runner-ok');
    const done = await finished(id);
    expect(done.image_status, r.stderr()).toMatchObject({ status: 'success' });
    expect(done.state).toBe('success');
    expect(done.history.map((h) => h.state)).toEqual(['pending', 'queued', 'building', 'uploading', 'success']);
    const times = done.history.map((h) => Date.parse(h.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // The artifact: recorded, stored in S3 under this attempt's prefix, and served by the presigned URL.
    expect(done.artifacts).toHaveLength(1);
    const [artifact] = done.artifacts;
    expect(artifact).toMatchObject({ name: 'root.tar', content_type: 'application/x-tar', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const compose = (await stack.deps.store.get(ORG, id))!;
    expect(compose.artifacts[0].key).toBe(`artifacts/${ORG}/${id}/1/root.tar`);
    expect(await stack.deps.blobs.list(`artifacts/${ORG}/${id}/`)).toEqual([expect.objectContaining({ key: compose.artifacts[0].key, size: artifact.size })]);
    const url = done.image_status.upload_status?.options.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*X-Amz-Signature=/);
    expect(artifact.url).toBe(url);
    const download = await fetch(url!);
    expect(download.status).toBe(200);
    // S3 answers with this Content-Disposition (fauxqs ignores response-* overrides, so the URL is what is checked).
    expect(new URL(url!).searchParams.get('response-content-disposition')).toContain('filename="root.tar"');
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(artifact.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(artifact.sha256);
    // The image is the tree the manifest describes, not just any bytes.
    expect(tarMembers(bytes)).toEqual(expect.arrayContaining([expect.stringMatching(/^(\.\/)?etc\/motd$/), expect.stringMatching(/^(\.\/)?etc\/hostname$/)]));

    // The log chunks the runner wrote to S3, through the API: complete, tailable, the build's stages in it.
    const whole = await logs(id, 0);
    expect(whole.complete).toBe(true);
    expect(whole.logs).toContain('Starting module org.osbuild.tar');
    expect(whole.logs).toMatch(/==> success: root\.tar/);
    const half = Math.floor(whole.next_offset / 2);
    const tail = await logs(id, half);
    expect(tail.offset).toBe(half);
    expect(Buffer.from(whole.logs).subarray(half).toString()).toBe(tail.logs);
    expect((await stack.deps.blobs.list(`logs/${ORG}/${id}/`)).length).toBeGreaterThan(0);

    await buildQueueDrained();
  });

  it('a failing stage → failure naming the stage, its output in the logs, no artifact, job deleted', async () => {
    await startRunner({ OSBUILD_DOUBLE_FAIL_STAGE: 'org.osbuild.chmod' });
    const id = await createCompose('aws-runner-fail');
    const done = await finished(id);
    expect(done.image_status.status).toBe('failure');
    expect(done.image_status.error).toMatchObject({ id: ComposeErrorId.BuildFailed, reason: expect.stringMatching(/stage org\.osbuild\.chmod failed in pipeline os/) });
    expect(done.history.map((h) => h.state)).toEqual(['pending', 'queued', 'building', 'failure']);
    const compose = (await stack.deps.store.get(ORG, id))!;
    expect(compose.result).toMatchObject({ success: false, failedStage: 'org.osbuild.chmod', failedPipeline: 'os' });
    expect(await stack.deps.blobs.list(`artifacts/${ORG}/${id}/`)).toEqual([]);
    const log = await logs(id, 0);
    expect(log.complete).toBe(true);
    expect(log.logs).toContain('injected failure for org.osbuild.chmod');
    await buildQueueDrained();
  });

  it('cancel mid-build → cancelled within 5 s, osbuild gone, nothing uploaded, job deleted', async () => {
    const r = await startRunner({ OSBUILD_DOUBLE_STAGE_DELAY_MS: '2000' });
    const id = await createCompose('aws-runner-cancel');
    const mid = await waitFor('a stage in progress', async () => {
      const s = await status(id);
      return s.image_status.status === 'building' && s.image_status.progress?.stage ? s : undefined;
    }, 60_000, 200);
    expect(mid.image_status.progress).toMatchObject({ pipeline: expect.any(String), stage: expect.stringMatching(/^org\.osbuild\./) });
    const osbuild = () => processesMentioning(join(r.dataDir, 'runner', 'builds'));
    expect(osbuild().length).toBeGreaterThan(0);
    // Mid-build, the log is already readable and not complete.
    const partial = await waitFor('log text mid-build', async () => {
      const l = await logs(id, 0);
      return l.logs.includes('Starting module') ? l : undefined;
    }, 10_000, 200);
    expect(partial.complete).toBe(false);

    const asked = Date.now();
    const cancel = await fetch(`${api}/composes/${id}/cancel`, { method: 'POST', headers: HEADERS });
    expect(cancel.status).toBe(200);
    const cancelled = await waitFor('compose cancelled', async () => {
      const c = await stack.deps.store.get(ORG, id);
      return c && ['cancelled', 'failure', 'success'].includes(c.state) ? c : undefined;
    }, 10_000, 100);
    expect(Date.now() - asked).toBeLessThan(5000);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.result?.error).toMatchObject({ id: ComposeErrorId.Cancelled });
    expect(cancelled.history?.map((h) => h.state)).toEqual(['pending', 'queued', 'building', 'cancelled']);
    expect((await status(id)).image_status).toMatchObject({ status: 'failure', error: { id: ComposeErrorId.Cancelled } });
    await waitFor('osbuild gone', () => osbuild().length === 0, 5000, 100);
    expect(await stack.deps.blobs.list(`artifacts/${ORG}/${id}/`)).toEqual([]);
    await buildQueueDrained();
  });

  it('streams an exported file to S3 in parts (buffers reused across parts): sha256 and size of what S3 kept, retry after a failed part', async () => {
    const client = createS3Client({ ...stack.backend.awsConfig!, maxAttempts: 1 });
    const commands = recordCommands(client);
    const blobs = new S3BlobStore(client, { bucket: stack.backend.awsConfig!.bucketName, partSize: 5 * MiB, queueSize: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'ibs-aws-upload-'));
    try {
      const bytes = Buffer.alloc(23 * MiB + 123);
      for (let i = 0; i + 4 <= bytes.length; i += 4) bytes.writeUInt32LE((i * 2654435761) >>> 0, i);
      const path = join(dir, 'disk.raw');
      writeFileSync(path, bytes);
      const quiet = createLogger({}, { write: () => {} });
      const prefix = `artifacts/${ORG}/upload-test/1/`;
      // The second part fails (no SDK retry here): the whole file is uploaded again, the broken upload aborted.
      commands.fail('UploadPartCommand', 1);
      const artifact = await uploadFile({ name: 'disk.raw', path, size: bytes.length }, { blobs, prefix, attempts: 2, backoffMs: 10, log: quiet });
      expect(artifact).toMatchObject({ key: `${prefix}disk.raw`, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
      expect(commands.sent.filter((c) => c === 'CreateMultipartUploadCommand')).toHaveLength(2);
      expect(commands.sent.filter((c) => c === 'AbortMultipartUploadCommand')).toHaveLength(1);
      expect(commands.sent.filter((c) => c === 'CompleteMultipartUploadCommand')).toHaveLength(1);
      // 4 × 5 MiB + 3 MiB: five parts through three buffers (S3's multipart ETag says how many), and the bytes S3 kept
      // are the file's.
      const head = await client.send(new HeadObjectCommand({ Bucket: stack.backend.awsConfig!.bucketName, Key: artifact.key }));
      expect(head.ETag).toMatch(/-5"$/);
      expect(head.ContentLength).toBe(bytes.length);
      expect(createHash('sha256').update(await buffer((await blobs.get(artifact.key))!)).digest('hex')).toBe(artifact.sha256);

      // A source that breaks mid-way: the put fails, nothing is stored, the multipart upload is aborted.
      commands.sent.length = 0;
      async function* breaking() {
        yield bytes.subarray(0, 11 * MiB);
        throw new Error('disk read error');
      }
      await expect(blobs.put(`${prefix}broken.raw`, Readable.from(breaking()))).rejects.toThrow(/could not store blob/);
      expect(commands.sent).toContain('AbortMultipartUploadCommand');
      expect(commands.sent).not.toContain('CompleteMultipartUploadCommand');
      expect(await blobs.head(`${prefix}broken.raw`)).toBeUndefined();

      // Smaller than a part, and empty: one PutObject each.
      commands.sent.length = 0;
      expect(await blobs.put(`${prefix}small.txt`, Readable.from([Buffer.from('small '), 'object']))).toMatchObject({ size: 12 });
      expect(await blobs.put(`${prefix}empty`, Readable.from([]))).toMatchObject({ size: 0 });
      expect(commands.sent).toEqual(['PutObjectCommand', 'PutObjectCommand']);
      expect((await buffer((await blobs.get(`${prefix}small.txt`))!)).toString()).toBe('small object');
      expect(await blobs.head(`${prefix}empty`)).toMatchObject({ size: 0 });
    } finally {
      client.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
