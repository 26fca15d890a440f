/**
 * Quotas and request rate through the API of a local stack (no runner, so composes stay unfinished until cancelled):
 * 403 naming the quota, 429 with Retry-After, both in the API's error format, nothing written on refusal, deleted
 * composes still counted, organizations independent, racing requests get exactly the quota — on the embedded backend
 * and on the AWS adapters against DynamoDB Local.
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
import { waitForRateWindowRoom } from '../support/rate-window.ts';

const quiet = createLogger({}, { write: () => {} });
const TAR = { distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }] };

async function startStack(overrides: Parameters<typeof startLocalStack>[0]) {
  const stack = await startLocalStack({ dataDir: mkdtempSync(join(tmpdir(), 'ibs-quota-')), port: 0, runners: 0, log: quiet, ...overrides });
  const as = tokenHeaders(stack);
  const api = `${stack.url}/api/image-builder/v1`;
  const call = async (org: string, method: string, path: string, body?: unknown) =>
    fetch(`${api}${path}`, {
      method,
      headers: { ...(await as(org)), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { stack, api, call };
}

async function errorDetail(response: Response): Promise<string> {
  const body = (await response.json()) as { errors: { title: string; detail: string }[] };
  expect(body.errors).toHaveLength(1);
  expect(body.errors[0].title).toEqual(expect.any(String));
  return body.errors[0].detail;
}

describe('compose quotas over the API', () => {
  let s: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    s = await startStack({ quotas: { buildsPerWindow: 5, windowSeconds: 14 * 24 * 3600, concurrentBuilds: 2 }, requestRate: undefined });
  });
  afterAll(() => s.stack.stop());

  const compose = (org: string) => s.call(org, 'POST', '/compose', TAR);
  const idOf = async (r: Response) => ((await r.json()) as { id: string }).id;

  it('refuses the build past the window quota with 403 in the hosted words, counting deleted composes, writing nothing', async () => {
    const org = 'org-window';
    for (let i = 0; i < 5; i++) {
      const created = await compose(org);
      expect(created.status).toBe(201);
      const id = await idOf(created);
      // Deleting (which cancels it) frees its concurrent slot, not its place in the window.
      expect((await s.call(org, 'DELETE', `/composes/${id}`)).status).toBe(200);
    }
    // The manifest worker takes the deleted composes' jobs: wait for an empty queue, so a job of the refusal would show.
    await waitForEmptyManifestQueue(s.stack);
    const refused = await compose(org);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await errorDetail(refused)).toMatch(/^Quota of 5 builds per 14 days exceeded for user/);
    // Nothing half-written: the five deleted composes are all the organization has, and no manifest job waits.
    const rows = await s.stack.deps.store.list(org, { limit: 100, offset: 0 });
    expect(rows.total).toBe(0);
    await expect(s.stack.deps.queue.depth('manifest')).resolves.toEqual({ visible: 0, inFlight: 0 });
    // Another organization has its own quota.
    expect((await compose('org-window-other')).status).toBe(201);
    // Waits for the manifest worker to drain its queue: more than the default 30 s on a loaded machine.
  }, 90_000);

  it('refuses a third unfinished build with 403 naming the concurrent quota; a cancelled one frees its slot', async () => {
    const org = 'org-concurrent';
    const first = await idOf(await compose(org));
    expect((await compose(org)).status).toBe(201);
    const refused = await compose(org);
    expect(refused.status).toBe(403);
    expect(await errorDetail(refused)).toMatch(/^Quota of 2 concurrent builds exceeded for user \(2 unfinished\)/);
    expect((await s.stack.deps.store.list(org, { limit: 100, offset: 0 })).total).toBe(2);
    expect((await s.call(org, 'POST', `/composes/${first}/cancel`)).status).toBe(200);
    expect((await compose(org)).status).toBe(201);
  });

  it('accepts exactly the quota of requests racing for the last slots', async () => {
    const org = 'org-race';
    const answers = await Promise.all(Array.from({ length: 12 }, () => compose(org)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((st) => st === 201)).toHaveLength(2);
    expect(statuses.filter((st) => st === 403)).toHaveLength(10);
    expect((await s.stack.deps.store.list(org, { limit: 100, offset: 0 })).total).toBe(2);
  });

  it('counts every compose of a blueprint compose request, one per image request', async () => {
    const org = 'org-blueprint';
    const created = await s.call(org, 'POST', '/blueprints', { name: 'quota-bp', customizations: {}, ...TAR });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await s.call(org, 'POST', `/blueprints/${id}/compose`, {})).status).toBe(201);
    expect((await s.call(org, 'POST', `/blueprints/${id}/compose`, {})).status).toBe(201);
    const refused = await s.call(org, 'POST', `/blueprints/${id}/compose`, {});
    expect(refused.status).toBe(403);
    expect(await errorDetail(refused)).toMatch(/concurrent builds/);
  });
});

describe('request rate over the API', () => {
  let s: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    s = await startStack({ requestRate: { requests: 5, windowSeconds: 60 } });
  });
  afterAll(() => s.stack.stop());

  it('answers 429 with Retry-After once an organization exceeds its rate; others and public routes are not affected', async () => {
    const org = 'org-rate';
    // The six counted requests in one fixed 60 s window: straddling a boundary, the sixth would be allowed.
    await waitForRateWindowRoom(60, 15_000);
    for (let i = 0; i < 5; i++) expect((await s.call(org, 'GET', '/composes')).status).toBe(200);
    const limited = await s.call(org, 'GET', '/composes');
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(await errorDetail(limited)).toMatch(/^Rate limit of 5 requests per 60 seconds exceeded for organization org-rate; retry after \d+ seconds/);
    // A refused POST writes nothing either.
    expect((await s.call(org, 'POST', '/compose', TAR)).status).toBe(429);
    expect((await s.stack.deps.store.list(org, { limit: 10, offset: 0 })).total).toBe(0);
    expect((await s.call('org-rate-other', 'GET', '/composes')).status).toBe(200);
    expect((await fetch(`${s.api}/version`)).status).toBe(200);
    // May wait up to 15 s for a rate window with room.
  }, 60_000);
});

const dynamoMissing = dynamoDbLocalMissing();
describe.skipIf(Boolean(dynamoMissing))(`compose quotas on the AWS adapters (DynamoDB Local)${dynamoMissing ? ` (skipped: ${dynamoMissing})` : ''}`, () => {
  let s: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    s = await startStack({ backend: 'aws', quotas: { buildsPerWindow: 4, windowSeconds: 3600, concurrentBuilds: 3 }, requestRate: undefined });
  }, 120_000);
  afterAll(() => s?.stack.stop());

  it('accepts exactly the quota of racing requests, then refuses by window after a cancel, counting the deleted', async () => {
    const org = 'org-aws-race';
    const answers = await Promise.all(Array.from({ length: 10 }, () => s.call(org, 'POST', '/compose', TAR)));
    expect(answers.map((r) => r.status).filter((st) => st === 201)).toHaveLength(3);
    const refused = answers.find((r) => r.status === 403)!;
    expect(await errorDetail(refused)).toMatch(/^Quota of 3 concurrent builds exceeded for user/);
    const page = await s.stack.deps.store.list(org, { limit: 100, offset: 0 });
    expect(page.total).toBe(3);
    // A deleted (cancelled) compose frees its concurrent slot but stays in the window: one more fits, then none.
    expect((await s.call(org, 'DELETE', `/composes/${page.items[0].id}`)).status).toBe(200);
    expect((await s.call(org, 'POST', '/compose', TAR)).status).toBe(201);
    expect((await s.call(org, 'POST', `/composes/${page.items[1].id}/cancel`)).status).toBe(200);
    const windowRefusal = await s.call(org, 'POST', '/compose', TAR);
    expect(windowRefusal.status).toBe(403);
    expect(await errorDetail(windowRefusal)).toMatch(/^Quota of 4 builds per 1 hour exceeded for user/);
  });
});
