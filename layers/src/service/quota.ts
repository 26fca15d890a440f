/**
 * Per-organization compose quotas, as the hosted service has them: builds per sliding window (default 100 per 14
 * days; deleted composes count) and, ours, unfinished builds at once. Admission is atomic in the store, so requests
 * racing for the last slot get exactly the quota; a refusal writes nothing and is a 403 naming the limit.
 */
import type { Compose } from '../compose/compose.ts';
import { QuotaExceededError, RateLimitedError } from '../errors.ts';
import { AdmissionBusyError, type AdmissionRefusal } from '../ports/compose-store.ts';
import type { ServiceDeps } from './deps.ts';

export interface ComposeQuotas {
  /** Composes one organization may create per window (0: none). */
  buildsPerWindow: number;
  /** Length of the sliding window in seconds. */
  windowSeconds: number;
  /** Unfinished composes (pending, queued, building, uploading) one organization may have at once. */
  concurrentBuilds: number;
  /** Window quotas of named organizations (the hosted quota file's entries), in place of the two above for them. */
  organizations?: Readonly<Record<string, WindowQuota>>;
}

export type WindowQuota = Pick<ComposeQuotas, 'buildsPerWindow' | 'windowSeconds'>;

/** The quotas that apply to `orgId`: its own window quota when it has one. */
export const quotasFor = (quotas: ComposeQuotas, orgId: string): ComposeQuotas => {
  const own = quotas.organizations && Object.hasOwn(quotas.organizations, orgId) ? quotas.organizations[orgId] : undefined;
  return own ? { ...quotas, ...own } : quotas;
};

/**
 * The hosted service's window quota (image-builder-crc DefaultQuota, DefaultSlidingWindow); the hosted service has no
 * concurrent-build quota of its own (composer's queue absorbs it): 20 here keeps one organization from filling a
 * small fleet's queue for hours, while a user's usual batch (a blueprint's image types) fits.
 */
export const DEFAULT_COMPOSE_QUOTAS: ComposeQuotas = { buildsPerWindow: 100, windowSeconds: 14 * 24 * 3600, concurrentBuilds: 20 };

/** Largest settings: the DynamoDB ledger keeps one number per admitted build of the window in one item. */
export const MAX_BUILDS_PER_WINDOW = 20_000;
export const MAX_CONCURRENT_BUILDS = 1_000;

/** "14 days", "6 hours", "90 seconds": the window as the hosted message words it. */
export function describeWindow(seconds: number): string {
  const [amount, unit] =
    seconds % 86_400 === 0 ? [seconds / 86_400, 'day'] : seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : seconds % 60 === 0 ? [seconds / 60, 'minute'] : [seconds, 'second'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

/** The 403 for a refusal; the window's wording is image-builder-crc's ("Quota of 100 builds per 14 days exceeded for user"). */
export function quotaExceeded(quotas: ComposeQuotas, refusal: AdmissionRefusal, asked = 1): QuotaExceededError {
  // A blueprint's composes are admitted together: say how many were asked when it was more than one.
  const batch = asked > 1 ? `; ${asked} composes asked at once, none created` : '';
  if (refusal.quota === 'builds-per-window') {
    return new QuotaExceededError(
      `Quota of ${quotas.buildsPerWindow} builds per ${describeWindow(quotas.windowSeconds)} exceeded for user ` +
        `(${refusal.used} composes created in the window, deleted ones included${batch})`,
      refusal.quota,
      quotas.buildsPerWindow,
    );
  }
  return new QuotaExceededError(
    `Quota of ${quotas.concurrentBuilds} concurrent builds exceeded for user (${refusal.used} unfinished${batch}): ` +
      'wait until one finishes, or cancel one',
    refusal.quota,
    quotas.concurrentBuilds,
  );
}

/** Stores a new compose if its organization is within its quotas (deps.config.quotas; none configured: always). */
export async function storeComposeWithinQuota(deps: ServiceDeps, compose: Compose, now = Date.now()): Promise<void> {
  return storeComposesWithinQuota(deps, [compose], now);
}

/**
 * Stores new composes of one organization (a blueprint's image requests) only if all of them fit in its quotas, in
 * one admission: a refusal (403) or a busy store (429) writes none of them. Without quotas nothing can refuse them.
 */
export async function storeComposesWithinQuota(deps: ServiceDeps, composes: readonly Compose[], now = Date.now()): Promise<void> {
  if (!deps.config.quotas) {
    for (const compose of composes) await deps.store.create(compose);
    return;
  }
  const orgId = composes[0]!.orgId;
  const quotas = quotasFor(deps.config.quotas, orgId);
  const quota = {
    windowStart: new Date(now - quotas.windowSeconds * 1000).toISOString(),
    maxInWindow: quotas.buildsPerWindow,
    maxUnfinished: quotas.concurrentBuilds,
  };
  let refusal: AdmissionRefusal | undefined;
  try {
    refusal = composes.length === 1 ? await deps.store.createWithinQuota(composes[0]!, quota) : await deps.store.createAllWithinQuota(composes, quota);
  } catch (error) {
    // Nothing was written; the client may simply come back a moment later.
    if (error instanceof AdmissionBusyError) throw new RateLimitedError('too many compose requests of this organization at once; retry after 1 second', 1);
    throw error;
  }
  if (refusal) {
    deps.log.info('compose refused by quota', { orgId, composes: composes.length, ...refusal });
    throw quotaExceeded(quotas, refusal, composes.length);
  }
}
