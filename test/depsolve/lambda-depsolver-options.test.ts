import { describe, expect, it } from 'vitest';
import { readDepsolverOptions } from '../../functions/aws/config.ts';
import { listDistributionRepositories } from '../../functions/aws/repo-refresh-handler.ts';
import { IndexStore } from '../../layers/src/depsolve/index.ts';

describe('the Lambda functions\' depsolver options', () => {
  it('refuse private addresses on AWS and budget the index cache in MiB', async () => {
    expect(readDepsolverOptions({})).toEqual({ allowPrivateAddresses: false, memoryBytes: 512 * 1024 * 1024 });
    expect(readDepsolverOptions({ IBS_INDEX_CACHE_MIB: '1024' }).memoryBytes).toBe(1024 * 1024 * 1024);
    const store = new IndexStore(readDepsolverOptions({}));
    await expect(store.load({ id: 'imds', baseurl: ['http://169.254.169.254/latest/meta-data'] }, { arch: 'x86_64', releasever: '42' })).rejects.toThrow(
      /repository "imds": .*link-local address \(instance metadata\)/,
    );
  });

  it('list every distribution\'s repositories (their indexes stay under depsolve-index/, not user/)', () => {
    const repos = listDistributionRepositories();
    expect(repos.length).toBeGreaterThan(0);
    expect(repos.some((r) => r.metalink?.includes('fedoraproject.org') || r.baseurl?.some((u) => u.includes('fedora')))).toBe(true);
  });
});
