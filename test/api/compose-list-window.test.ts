/**
 * GET /composes lists the composes of the last 14 days only, as image-builder-crc does (meta.count counts the same);
 * an older compose is still readable by id.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { tokenHeaders } from '../support/auth.ts';

describe('GET /composes: the last 14 days', () => {
  let stack: LocalStack;
  let get: (path: string) => Promise<Response>;
  beforeAll(async () => {
    stack = await startLocalStack({ dataDir: mkdtempSync(join(tmpdir(), 'ibs-list-window-')), port: 0, runners: 0, log: createLogger({}, { write: () => {} }) });
    const as = tokenHeaders(stack);
    get = async (path) => fetch(`${stack.url}/api/image-builder/v1${path}`, { headers: await as('org-window-list') });
  });
  afterAll(() => stack?.stop());

  it('leaves out composes created more than 14 days ago, from the page and the count', async () => {
    const day = 86_400_000;
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * day).toISOString();
    const [old, recent] = [at(15), at(13)].map((createdAt) => ({
      id: randomUUID(),
      orgId: 'org-window-list',
      request: { distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar', upload_request: { type: 'aws.s3', options: {} } }] },
      spec: { distribution: 'test-distro-1', architecture: 'x86_64', imageType: 'tar' },
      clientId: 'api',
      state: 'success' as const,
      createdAt,
      updatedAt: createdAt,
      attempt: 1,
      artifacts: [],
      seed: '00',
    }));
    for (const compose of [old, recent]) await stack.deps.store.create(compose as never);
    const list = (await (await get('/composes')).json()) as { meta: { count: number }; data: { id: string }[] };
    expect(list.data.map((c) => c.id)).toEqual([recent.id]);
    expect(list.meta.count).toBe(1);
    // Out of the list, not gone: the old compose answers by id.
    expect((await get(`/composes/${old.id}`)).status).toBe(200);
  });
});
