/**
 * `npm run start:aws-local`'s stack (local/aws-local.ts) over HTTP: the local API and manifest worker on the AWS
 * adapters against DynamoDB Local and fauxqs, including a presigned S3 download URL for a finished compose.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../layers/src/log/logger.ts';
import { dynamoDbLocalMissing } from '../../local/aws-stand-ins.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';

const missing = dynamoDbLocalMissing();

describe.skipIf(Boolean(missing))(`local stack on the AWS adapters${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let stack: LocalStack;
  let api: string;
  beforeAll(async () => {
    stack = await startLocalStack({ backend: 'aws', dataDir: mkdtempSync(join(tmpdir(), 'ibs-aws-keys-')), port: 0, runners: 0, log: createLogger({}, { write: () => {} }) });
    api = `${stack.url}/api/image-builder/v1`;
  });
  afterAll(() => stack?.stop());

  it('accepts a compose, generates its manifest through SQS, and hands out a working presigned download URL', async () => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${await stack.mintToken('acme')}` };
    const response = await fetch(`${api}/compose`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }] }),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    await expect.poll(async () => (await stack.deps.store.get('acme', id))?.state, { timeout: 60_000 }).toBe('queued');
    const manifests = (await (await fetch(`${api}/composes/${id}/manifests`, { headers })).json()) as { manifests: unknown[] };
    expect(manifests.manifests).toHaveLength(1);

    // What a runner does at the end, then the API's answer for a finished compose.
    const key = `artifacts/acme/${id}/1/image.tar`;
    await stack.deps.blobs.put(key, 'image bytes', { contentType: 'application/x-tar' });
    const artifact = { name: 'image.tar', key, size: 11, sha256: 'x', contentType: 'application/x-tar' };
    await stack.deps.store.transition('acme', id, { from: ['queued'], to: 'building', set: { runnerId: 'r', attempt: 1 } });
    await stack.deps.store.transition('acme', id, { from: ['building'], to: 'uploading' });
    await stack.deps.store.transition('acme', id, { from: ['uploading'], to: 'success', set: { artifacts: [artifact] } });
    const status = (await (await fetch(`${api}/composes/${id}`, { headers })).json()) as { image_status: { status: string; upload_status?: unknown } };
    expect(status.image_status.status).toBe('success');
    const url = JSON.stringify(status).match(/http:\/\/127\.0\.0\.1:\d+\/[^"]*X-Amz-Signature[^"]*/)?.[0];
    expect(url).toBeDefined();
    const download = await fetch(JSON.parse(`"${url}"`) as string);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('image bytes');
    // Waits for manifest generation through SQS: more than the default 30 s on a loaded machine.
  }, 90_000);
});
