/**
 * The CLI's client retries a 429 after its Retry-After, a bounded number of times and never for longer than its
 * longest wait, then gives up with a message saying so: against a local stack with a tiny rate limit, and with a
 * scripted fetch for the bounds.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, parseRetryAfter } from '../../cli/src/client.ts';
import { ServiceError } from '../../cli/src/errors.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { waitForNextRateWindow } from '../support/rate-window.ts';

describe('ibs client against a local stack limited to 2 requests per 2 seconds', () => {
  let stack: LocalStack;
  let token: string;
  beforeAll(async () => {
    stack = await startLocalStack({
      dataDir: mkdtempSync(join(tmpdir(), 'ibs-cli-rate-')),
      port: 0,
      runners: 0,
      log: createLogger({}, { write: () => {} }),
      requestRate: { requests: 2, windowSeconds: 2 },
    });
    token = await stack.mintToken('org-cli-rate');
  });
  afterAll(() => stack?.stop());

  const client = (options: ConstructorParameters<typeof ApiClient>[1] = {}) =>
    new ApiClient({ apiUrl: `${stack.url}/api/image-builder/v1`, token }, options);

  it('waits out the Retry-After of a 429 and then gets its answer', async () => {
    const notices: string[] = [];
    const ibs = client({ onRateLimited: (m) => notices.push(m) });
    // All three in one window: one straddling a boundary would be counted in two, and no 429 would come.
    await waitForNextRateWindow(2);
    await ibs.get('/composes');
    await ibs.get('/composes');
    const started = Date.now();
    const third = await ibs.get<{ meta: { count: number } }>('/composes');
    expect(third.meta.count).toBe(0);
    expect(notices.length).toBeGreaterThanOrEqual(1);
    expect(notices[0]).toMatch(/^rate limited by the service \(HTTP 429\); retrying in [12] seconds \(attempt 2 of 4\)$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('gives up after its attempts with the service\'s error and a line saying so', async () => {
    const ibs = client({ rateLimitRetry: { attempts: 1, maxWaitMs: 30_000 }, onRateLimited: () => expect.fail('no retry expected') });
    // A fresh window (the last test's retry counted in one), all three requests in it.
    await waitForNextRateWindow(2);
    await ibs.get('/composes');
    await ibs.get('/composes');
    const error = (await ibs.get('/composes').catch((e: unknown) => e)) as ServiceError;
    expect(error).toBeInstanceOf(ServiceError);
    expect(error.status).toBe(429);
    expect(error.message).toMatch(/Rate limit of 2 requests per 2 seconds exceeded/);
    expect(error.message).toMatch(/Rate limit: ibs gave up after 1 attempt; the service asks to retry after [12] seconds$/);
  });
});

describe('ibs client 429 bounds (scripted fetch)', () => {
  const limited = (retryAfter: string) =>
    new Response(JSON.stringify({ errors: [{ title: 'Too Many Requests', detail: 'slow down' }] }), {
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': retryAfter },
    });

  it('stops after the configured attempts, having waited each Retry-After', async () => {
    const waits: number[] = [];
    let calls = 0;
    const ibs = new ApiClient(
      { apiUrl: 'http://127.0.0.1:1/api/image-builder/v1' },
      { fetch: async () => (calls++, limited('3')), sleep: async (ms) => void waits.push(ms), onRateLimited: () => {} },
    );
    await expect(ibs.get('/composes')).rejects.toThrow(/slow down; Rate limit: ibs gave up after 4 attempts; the service asks to retry after 3 seconds/);
    expect(calls).toBe(4);
    expect(waits).toEqual([3000, 3000, 3000]);
  });

  it('does not wait for a Retry-After beyond its longest wait', async () => {
    let calls = 0;
    const ibs = new ApiClient(
      { apiUrl: 'http://127.0.0.1:1/api/image-builder/v1' },
      { fetch: async () => (calls++, limited('3600')), sleep: async () => expect.fail('must not wait'), rateLimitRetry: { attempts: 4, maxWaitMs: 30_000 } },
    );
    await expect(ibs.get('/composes')).rejects.toThrow(/ibs does not wait longer than 30 seconds at a time; the service asks to retry after 3600 seconds/);
    expect(calls).toBe(1);
  });

  it('reads Retry-After as seconds or an HTTP date, 1 second when absent', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter(null)).toBe(1000);
    expect(parseRetryAfter('soon')).toBe(1000);
  });
});
