/**
 * The quota use case over a real store: the window slides with time (a compose leaves it window-length after its
 * creation), deleted composes count, the refusal is a QuotaExceededError in image-builder-crc's words.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmbeddedAdapters } from '../../layers/src/adapters/embedded/embedded-adapters.ts';
import { QuotaExceededError } from '../../layers/src/errors.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { describeWindow, storeComposeWithinQuota, type ComposeQuotas } from '../../layers/src/service/quota.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { AdmissionBusyError } from '../../layers/src/ports/compose-store.ts';
import { newCompose } from '../contract/compose-store.contract.ts';

const adapters = createEmbeddedAdapters({ dataDir: mkdtempSync(join(tmpdir(), 'ibs-quota-unit-')), publicBaseUrl: 'http://127.0.0.1:1' });
const depsWith = (quotas?: ComposeQuotas): ServiceDeps => ({
  ...adapters,
  log: createLogger({}, { write: () => {} }),
  config: { downloadUrlTtlSeconds: 60, version: 't', ...(quotas ? { quotas } : {}) },
});
const DAY = 24 * 3600 * 1000;

describe('compose quotas', () => {
  it('slides the window: a compose stops counting window-length after it was created', async () => {
    const deps = depsWith({ buildsPerWindow: 2, windowSeconds: 14 * 24 * 3600, concurrentBuilds: 10 });
    const org = 'org-slide';
    const t0 = Date.parse('2026-03-01T00:00:00.000Z');
    const at = (ms: number) => newCompose(org, { createdAt: new Date(ms).toISOString(), state: 'success' });
    await storeComposeWithinQuota(deps, at(t0), t0);
    const second = at(t0 + 3 * DAY);
    await storeComposeWithinQuota(deps, second, t0 + 3 * DAY);
    await deps.store.patch(org, second.id, { deletedAt: new Date(t0 + 4 * DAY).toISOString() });
    // Day 13: both count (one deleted).
    const refused = storeComposeWithinQuota(deps, at(t0 + 13 * DAY), t0 + 13 * DAY);
    await expect(refused).rejects.toBeInstanceOf(QuotaExceededError);
    await expect(refused).rejects.toThrow('Quota of 2 builds per 14 days exceeded for user (2 composes created in the window, deleted ones included)');
    // Day 14 + 1 ms: the first left the window.
    await expect(storeComposeWithinQuota(deps, at(t0 + 14 * DAY + 1), t0 + 14 * DAY + 1)).resolves.toBeUndefined();
    await expect(storeComposeWithinQuota(deps, at(t0 + 15 * DAY), t0 + 15 * DAY)).rejects.toMatchObject({ quota: 'builds-per-window', limit: 2 });
    // Day 17 + 1 ms: the deleted one left too.
    await expect(storeComposeWithinQuota(deps, at(t0 + 17 * DAY + 1), t0 + 17 * DAY + 1)).resolves.toBeUndefined();
  });

  it('names the concurrent quota, and stores without any check when no quotas are configured', async () => {
    const deps = depsWith({ buildsPerWindow: 100, windowSeconds: 3600, concurrentBuilds: 1 });
    await storeComposeWithinQuota(deps, newCompose('org-conc'));
    await expect(storeComposeWithinQuota(deps, newCompose('org-conc'))).rejects.toMatchObject({
      kind: 'quota-exceeded',
      quota: 'concurrent-builds',
      message: 'Quota of 1 concurrent builds exceeded for user (1 unfinished): wait until one finishes, or cancel one',
    });
    const open = depsWith();
    for (let i = 0; i < 3; i++) await storeComposeWithinQuota(open, newCompose('org-conc'));
    expect((await open.store.list('org-conc', { limit: 10, offset: 0 })).total).toBe(4);
  });

  it('applies an organization\'s own window quota (the quota file\'s entries), 0 refusing every build', async () => {
    const deps = depsWith({
      buildsPerWindow: 100,
      windowSeconds: 3600,
      concurrentBuilds: 10,
      organizations: { 'org-small': { buildsPerWindow: 1, windowSeconds: 86_400 }, 'org-none': { buildsPerWindow: 0, windowSeconds: 86_400 } },
    });
    await storeComposeWithinQuota(deps, newCompose('org-small'));
    await expect(storeComposeWithinQuota(deps, newCompose('org-small'))).rejects.toThrow(/^Quota of 1 builds per 1 day exceeded for user/);
    await expect(storeComposeWithinQuota(deps, newCompose('org-none'))).rejects.toThrow(/^Quota of 0 builds per 1 day exceeded for user/);
    await storeComposeWithinQuota(deps, newCompose('org-other'));
    await expect(storeComposeWithinQuota(deps, newCompose('constructor'))).resolves.toBeUndefined();
  });

  it('turns an admission that kept losing to concurrent ones into a 429 with Retry-After 1, writing nothing', async () => {
    const deps = depsWith({ buildsPerWindow: 10, windowSeconds: 3600, concurrentBuilds: 10 });
    const busy = { ...deps, store: { ...deps.store, createWithinQuota: async () => Promise.reject(new AdmissionBusyError('org-busy', 64)) } } as ServiceDeps;
    const compose = newCompose('org-busy');
    await expect(storeComposeWithinQuota(busy, compose)).rejects.toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 1 });
    expect(await deps.store.get('org-busy', compose.id)).toBeUndefined();
  });

  it('words windows as the hosted message does', () => {
    expect(describeWindow(14 * 86_400)).toBe('14 days');
    expect(describeWindow(86_400)).toBe('1 day');
    expect(describeWindow(7200)).toBe('2 hours');
    expect(describeWindow(90)).toBe('90 seconds');
  });
});
