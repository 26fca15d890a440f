import { StorageFullError } from '../errors.ts';
import type { ServiceDeps, StorageHealth } from './deps.ts';

/** The deployment's storage, or undefined where it has no disk of its own to watch. */
export const readStorageHealth = async (deps: Pick<ServiceDeps, 'storage'>): Promise<StorageHealth | undefined> => deps.storage?.();

/** Refuses work that writes (a new compose) while free space is below the minimum, before anything is written. */
export async function ensureStorageRoom(deps: Pick<ServiceDeps, 'storage'>): Promise<void> {
  const health = await readStorageHealth(deps);
  if (health && health.freeBytes < health.minFreeBytes) {
    throw new StorageFullError(
      `the service is low on storage space (${formatMiB(health.freeBytes)} free, needs ${formatMiB(health.minFreeBytes)}); nothing was saved, try again once space is freed`,
    );
  }
}

const formatMiB = (bytes: number): string => `${Math.floor(bytes / 2 ** 20)} MiB`;
