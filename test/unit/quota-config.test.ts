/** The quota and request-rate settings: hosted defaults, off switches, and bad values named. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readComposeQuotas, readRequestRate } from '../../layers/src/config/quota-config.ts';
import { readLocalConfig } from '../../local/config.ts';
import { readServiceConfig } from '../../functions/aws/config.ts';

describe('quota settings', () => {
  it('defaults to the hosted window quota, 20 concurrent builds and 1200 requests a minute', () => {
    expect(readComposeQuotas({})).toEqual({ buildsPerWindow: 100, windowSeconds: 1_209_600, concurrentBuilds: 20 });
    expect(readRequestRate({})).toEqual({ requests: 1200, windowSeconds: 60 });
  });

  it('reads overrides and off switches, the same in local mode and on AWS', () => {
    const env = { IBS_QUOTA_BUILDS: '5', IBS_QUOTA_WINDOW_SECONDS: '3600', IBS_QUOTA_CONCURRENT: '2', IBS_RATE_LIMIT: '10', IBS_RATE_WINDOW_SECONDS: '1' };
    const quotas = { buildsPerWindow: 5, windowSeconds: 3600, concurrentBuilds: 2 };
    expect(readLocalConfig(env)).toMatchObject({ quotas, requestRate: { requests: 10, windowSeconds: 1 } });
    expect(readServiceConfig(env)).toMatchObject({ quotas, requestRate: { requests: 10, windowSeconds: 1 } });
    expect(readLocalConfig({ IBS_QUOTAS: 'off', IBS_RATE_LIMIT: '0' })).toMatchObject({ quotas: undefined, requestRate: undefined });
    expect(readServiceConfig({ IBS_QUOTAS: 'off', IBS_RATE_LIMIT: '0' })).not.toHaveProperty('quotas');
  });

  it('names a bad value', () => {
    expect(() => readComposeQuotas({ IBS_QUOTA_CONCURRENT: '0' })).toThrow(/IBS_QUOTA_CONCURRENT must be a whole number from 1 to 1000/);
    expect(() => readComposeQuotas({ IBS_QUOTAS: 'maybe' })).toThrow(/IBS_QUOTAS must be one of on, off/);
    expect(() => readRequestRate({ IBS_RATE_LIMIT: '1.5' })).toThrow(/IBS_RATE_LIMIT/);
  });

  it('reads the hosted quota file format: per-organization window quotas, its default in place of the settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibs-quota-file-'));
    const file = join(dir, 'quotas.json');
    const DAY_NS = 86_400 * 1e9;
    writeFileSync(file, JSON.stringify({ '000000': { quota: 2, slidingWindow: 14 * DAY_NS }, '000001': { quota: 0, slidingWindow: DAY_NS }, default: { quota: 50, slidingWindow: 7 * DAY_NS } }));
    expect(readComposeQuotas({ IBS_QUOTA_FILE: file, IBS_QUOTA_BUILDS: '9' })).toEqual({
      buildsPerWindow: 50,
      windowSeconds: 7 * 86_400,
      concurrentBuilds: 20,
      organizations: { '000000': { buildsPerWindow: 2, windowSeconds: 14 * 86_400 }, '000001': { buildsPerWindow: 0, windowSeconds: 86_400 } },
    });
    writeFileSync(file, JSON.stringify({ '000002': { quota: 3, slidingWindow: 1.5e9 } }));
    expect(() => readComposeQuotas({ IBS_QUOTA_FILE: file })).toThrow(/IBS_QUOTA_FILE \(.*quotas\.json\) entry "000002": slidingWindow must be whole seconds/);
    writeFileSync(file, '{"x": {"quota": -1, "slidingWindow": 1000000000}}');
    expect(() => readComposeQuotas({ IBS_QUOTA_FILE: file })).toThrow(/entry "x": quota must be a whole number from 0 to 20000/);
    expect(() => readComposeQuotas({ IBS_QUOTA_FILE: join(dir, 'missing.json') })).toThrow(/IBS_QUOTA_FILE .* cannot be read as JSON/);
  });
});
