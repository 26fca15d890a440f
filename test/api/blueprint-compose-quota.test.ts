/**
 * POST /blueprints/{id}/compose admits all of a blueprint's composes in one quota admission: with room for fewer than
 * its image requests, the answer is a 403 and nothing is created or queued (embedded backend and DynamoDB Local).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { tokenHeaders } from '../support/auth.ts';
import { dynamoDbLocalMissing } from '../../local/aws-stand-ins.ts';
import { waitForEmptyManifestQueue } from '../support/manifest-queue.ts';

const quiet = createLogger({}, { write: () => {} });
const image = (image_type: string, architecture = 'x86_64') => ({ architecture, image_type, upload_request: { type: 'aws.s3', options: {} } });
const BLUEPRINT = { name: 'three-images', customizations: {}, distribution: 'test-distro-1', image_requests: [image('tar'), image('tar', 'aarch64'), image('aws')] };

function describeAtomicBlueprintCompose(title: string, backend: 'embedded' | 'aws', skip?: string) {
  describe.skipIf(Boolean(skip))(`${title}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let stack: LocalStack;
    let call: (org: string, method: string, path: string, body?: unknown) => Promise<Response>;
    beforeAll(async () => {
      stack = await startLocalStack({
        dataDir: mkdtempSync(join(tmpdir(), 'ibs-bp-quota-')),
        port: 0,
        runners: 0,
        log: quiet,
        backend,
        quotas: { buildsPerWindow: 4, windowSeconds: 3600, concurrentBuilds: 100 },
        requestRate: undefined,
      });
      const as = tokenHeaders(stack);
      call = async (org, method, path, body) =>
        fetch(`${stack.url}/api/image-builder/v1${path}`, {
          method,
          headers: { ...(await as(org)), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
    }, 120_000);
    afterAll(() => stack?.stop());

    it('creates all of a blueprint\'s composes or none: a quota with room for fewer refuses the whole set', async () => {
      const org = `org-bp-${backend}`;
      const created = await call(org, 'POST', '/blueprints', BLUEPRINT);
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      // One plain compose leaves room for 3: the blueprint's 3 fit, all together.
      expect((await call(org, 'POST', '/compose', { distribution: 'test-distro-1', image_requests: [image('tar')] })).status).toBe(201);
      const first = await call(org, 'POST', `/blueprints/${id}/compose`, {});
      expect(first.status).toBe(201);
      expect((await first.json()) as unknown[]).toHaveLength(3);
      expect((await stack.deps.store.list(org, { limit: 100, offset: 0 })).total).toBe(4);
      // Room for none now.
      await waitForEmptyManifestQueue(stack);
      const before = await stack.deps.queue.depth('manifest');
      const refused = await call(org, 'POST', `/blueprints/${id}/compose`, {});
      expect(refused.status).toBe(403);
      const detail = ((await refused.json()) as { errors: { detail: string }[] }).errors[0].detail;
      expect(detail).toMatch(/^Quota of 4 builds per 1 hour exceeded for user \(4 composes created in the window, deleted ones included; 3 composes asked at once, none created\)/);
      expect((await stack.deps.store.list(org, { limit: 100, offset: 0 })).total).toBe(4);
      await expect(stack.deps.queue.depth('manifest')).resolves.toEqual(before);
    }, 90_000);

    it('refuses the set when the quota has room for some but not all of its image requests, writing and queuing nothing', async () => {
      const org = `org-bp-partial-${backend}`;
      const created = await call(org, 'POST', '/blueprints', BLUEPRINT);
      const { id } = (await created.json()) as { id: string };
      // Two plain composes leave room for 2 of the blueprint's 3.
      for (let i = 0; i < 2; i++) expect((await call(org, 'POST', '/compose', { distribution: 'test-distro-1', image_requests: [image('tar')] })).status).toBe(201);
      await waitForEmptyManifestQueue(stack);
      const refused = await call(org, 'POST', `/blueprints/${id}/compose`, {});
      expect(refused.status).toBe(403);
      expect((await stack.deps.store.list(org, { limit: 100, offset: 0 })).total).toBe(2);
      expect(((await (await call(org, 'GET', `/blueprints/${id}/composes`)).json()) as { meta: { count: number } }).meta.count).toBe(0);
      await expect(stack.deps.queue.depth('manifest')).resolves.toEqual({ visible: 0, inFlight: 0 });
      // A subset that fits is admitted.
      const subset = await call(org, 'POST', `/blueprints/${id}/compose`, { image_types: ['tar'] });
      expect(subset.status).toBe(201);
      expect((await stack.deps.store.list(org, { limit: 100, offset: 0 })).total).toBe(4);
    }, 90_000);
  });
}

describeAtomicBlueprintCompose('blueprint compose quota, embedded backend', 'embedded');
describeAtomicBlueprintCompose('blueprint compose quota, AWS adapters on DynamoDB Local', 'aws', dynamoDbLocalMissing());
