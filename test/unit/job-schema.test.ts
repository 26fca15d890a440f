import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent, SQSRecord, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createEmbeddedAdapters } from '../../layers/src/adapters/embedded/embedded-adapters.ts';
import { createManifestWorkerHandler } from '../../functions/manifest-worker.ts';
import { JOB_SCHEMA_VERSION, manifestJobFor, readComposeJob } from '../../layers/src/compose/jobs.ts';
import { generateComposeManifest } from '../../layers/src/service/generate-compose-manifest.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { createCompose } from '../../layers/src/service/compose-service.ts';
import { failDeadLetteredJob } from '../../layers/src/service/dead-letter.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';

function makeDeps(lines: string[] = []): ServiceDeps {
  const adapters = createEmbeddedAdapters({ dataDir: mkdtempSync(join(tmpdir(), 'ibs-jobv-')), publicBaseUrl: 'http://127.0.0.1:1' });
  return { ...adapters, log: createLogger({}, { write: (l) => lines.push(l) }), config: { downloadUrlTtlSeconds: 60, version: 'test' } };
}

const request = { distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }] };
const sqsEvent = (bodies: unknown[]): SQSEvent => ({
  Records: bodies.map((body, i) => ({ messageId: `m${i}`, body: JSON.stringify(body) }) as unknown as SQSRecord),
});

describe('job messages carry a schema version', () => {
  it('every job the service sends names the schema it was written in', async () => {
    const deps = makeDeps();
    await createCompose(deps, 'org', request);
    const [message] = await deps.queue.receive('manifest', { maxMessages: 1 });
    expect(message.body).toMatchObject({ schema: JOB_SCHEMA_VERSION, kind: 'manifest', orgId: 'org' });
  });

  it('reads version 1 and messages written before versioning; refuses unknown versions with the reason', () => {
    expect(readComposeJob({ kind: 'build', orgId: 'o', composeId: 'c' }, 'build')).toMatchObject({ ok: true, job: { schema: 1 } });
    expect(readComposeJob({ schema: 1, kind: 'manifest', orgId: 'o', composeId: 'c' }, 'manifest').ok).toBe(true);
    expect(readComposeJob({ schema: 2, kind: 'manifest', orgId: 'o', composeId: 'c' }, 'manifest')).toEqual({
      ok: false,
      problem: 'unsupported',
      reason: 'job message schema version 2 is not supported by this deployment (supported: 1)',
    });
    expect(readComposeJob({ hello: 1 }, 'manifest')).toMatchObject({ ok: false, problem: 'malformed' });
  });

  it('the manifest worker leaves an unknown version undeleted (the dead-letter path) and the dead-letter handler fails its compose saying why', async () => {
    const lines: string[] = [];
    const deps = makeDeps(lines);
    const compose = await createCompose(deps, 'org', request);
    const future = { schema: 99, kind: 'manifest', orgId: 'org', composeId: compose.id, plan: 'something new' };
    const worker = createManifestWorkerHandler(deps);
    const result = await worker(sqsEvent([future, { not: 'a job' }]), {} as Context);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
    expect((await deps.store.get('org', compose.id))?.state).toBe('pending');
    expect(lines.some((l) => l.includes('schema version 99'))).toBe(true);

    expect(await failDeadLetteredJob(deps, 'manifest', future)).toBe(true);
    const failed = await deps.store.get('org', compose.id);
    expect(failed?.state).toBe('failure');
    expect(failed?.result?.error?.reason).toMatch(/manifest job could not be read: job message schema version 99 is not supported/);
  });
});

describe('a full disk while the manifest is stored', () => {
  it('fails the compose with the reason instead of leaving it pending', async () => {
    const deps = makeDeps();
    const compose = await createCompose(deps, 'org', request);
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const blobs = { ...deps.blobs, put: async () => Promise.reject(new Error('could not store blob', { cause: full })) } as ServiceDeps['blobs'];
    expect(await generateComposeManifest({ ...deps, blobs }, manifestJobFor('org', compose.id))).toBe('failed');
    const failed = await deps.store.get('org', compose.id);
    expect(failed?.state).toBe('failure');
    expect(failed?.result?.error?.reason).toBe('could not store the manifest: the service is out of storage space');
  });

  it('other storage errors are retried (the job is not consumed)', async () => {
    const deps = makeDeps();
    const compose = await createCompose(deps, 'org', request);
    const blobs = { ...deps.blobs, put: async () => Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })) } as ServiceDeps['blobs'];
    await expect(generateComposeManifest({ ...deps, blobs }, manifestJobFor('org', compose.id))).rejects.toThrow(/socket hang up/);
    expect((await deps.store.get('org', compose.id))?.state).toBe('pending');
  });
});
