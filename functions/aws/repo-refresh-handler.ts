import { basearchOf } from '../../layers/src/depsolve/arch.ts';
import type { IndexStore } from '../../layers/src/depsolve/index.ts';
import type { RepositoryConfig } from '../../layers/src/packages/package-set.ts';
import { listDistributions } from '../../layers/src/distro/registry.ts';
import type { Logger } from '../../layers/src/log/logger.ts';

/** Every distribution's repositories: their indexes are kept longer than user repositories' (`depsolve-index/user/`). */
export const listDistributionRepositories = (distributions = listDistributions()): RepositoryConfig[] =>
  distributions.flatMap((d) => d.architectures.flatMap((a) => a.repositories));

export interface RefreshReport {
  refreshed: { distribution: string; architecture: string; repository: string; revision: string; packages: number; built: boolean }[];
  failed: { distribution: string; architecture: string; repository: string; error: string }[];
}

/**
 * Builds the index of every repository of every distribution and architecture that is not in the store yet (a new
 * repomd.xml revision), so manifest workers find ready indexes instead of parsing metadata while a user waits.
 * A repository that fails is reported and skipped; the others still refresh.
 */
export async function refreshRepositoryIndexes(
  store: Pick<IndexStore, 'refresh'>,
  log: Logger,
  distributions = listDistributions(),
): Promise<RefreshReport> {
  const report: RefreshReport = { refreshed: [], failed: [] };
  for (const distro of distributions) {
    for (const arch of distro.architectures) {
      for (const repo of arch.repositories) {
        const where = { distribution: distro.name, architecture: arch.name, repository: repo.id };
        try {
          const result = await store.refresh(repo, { arch: arch.name, basearch: basearchOf(arch.name), releasever: distro.releasever });
          report.refreshed.push({ ...where, ...result });
        } catch (error) {
          log.warn('repository index refresh failed', { ...where, error });
          report.failed.push({ ...where, error: error instanceof Error ? error.message : String(error) });
        }
      }
    }
  }
  log.info('repository indexes refreshed', { built: report.refreshed.filter((r) => r.built).length, unchanged: report.refreshed.filter((r) => !r.built).length, failed: report.failed.length });
  return report;
}
