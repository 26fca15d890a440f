import type { Compose, ComposeState } from '../compose/compose.ts';
import { ComposeErrorId, composeError } from '../compose/compose-errors.ts';
import { buildJobFor } from '../compose/jobs.ts';
import { buildQueueFor } from '../ports/job-queue.ts';
import type { ServiceDeps } from './deps.ts';

export interface ReaperOptions {
  /** A build whose heartbeat is older than this lost its runner (default 15 min: many missed 30 s heartbeats). */
  staleAfterSeconds: number;
  /** Deliveries of one build job after which a lost build fails instead of being requeued (the queue's maxReceives). */
  maxAttempts: number;
  /** Times a compose may go back to `queued` (runner lost, handed back) before a lost build fails for good. */
  maxRequeues: number;
  /** A compose still pending/queued after this long never found a runner or a manifest worker: it fails. */
  queuedTimeoutSeconds: number;
  /** Composes handled per run; the next scheduled run takes the rest. */
  limit: number;
}

export const DEFAULT_REAPER_OPTIONS: ReaperOptions = { staleAfterSeconds: 900, maxAttempts: 3, maxRequeues: 5, queuedTimeoutSeconds: 86_400, limit: 100 };

export interface ReapReport {
  requeued: string[];
  failed: string[];
  /** Composes that changed between the search and the conditional write (someone else moved them on). */
  raced: string[];
}

const BUILDING: readonly ComposeState[] = ['building', 'uploading'];
const WAITING: readonly ComposeState[] = ['pending', 'queued'];

/**
 * The backstop for builds the queue cannot rescue: a runner that stopped heartbeating but whose job is gone or keeps
 * being extended, and composes that waited too long. A lost build with attempts left goes back to `queued` with a fresh
 * build job (the runner's claim drops whichever duplicate job comes second); one without attempts left fails with
 * "runner lost". Every write is conditional on the owner the reaper saw, so a runner that took over meanwhile wins.
 */
export async function reapStaleComposes(
  deps: Pick<ServiceDeps, 'store' | 'queue' | 'log'>,
  options: ReaperOptions = DEFAULT_REAPER_OPTIONS,
  now: Date = new Date(),
): Promise<ReapReport> {
  const report: ReapReport = { requeued: [], failed: [], raced: [] };
  const staleBefore = new Date(now.getTime() - options.staleAfterSeconds * 1000).toISOString();
  for (const compose of await deps.store.listStale(BUILDING, staleBefore, options.limit)) {
    // A requeued build starts over with a new job (delivery 1), so its history bounds the requeues instead.
    const exhausted = (compose.delivery ?? compose.attempt) >= options.maxAttempts || requeuesOf(compose) >= options.maxRequeues;
    const outcome = exhausted ? await failLost(deps, compose, now) : await requeueLost(deps, compose, now);
    report[outcome].push(compose.id);
  }
  const waitingBefore = new Date(now.getTime() - options.queuedTimeoutSeconds * 1000).toISOString();
  for (const compose of await deps.store.listStale(WAITING, waitingBefore, options.limit)) {
    const reason =
      compose.state === 'pending'
        ? `no manifest was generated within ${options.queuedTimeoutSeconds} s`
        : `no runner started the build within ${options.queuedTimeoutSeconds} s`;
    const failed = await deps.store.transition(compose.orgId, compose.id, {
      from: [compose.state],
      to: 'failure',
      set: { finishedAt: now.toISOString(), result: { success: false, error: composeError(ComposeErrorId.RunnerLost, reason) } },
    });
    report[failed ? 'failed' : 'raced'].push(compose.id);
  }
  if (report.requeued.length + report.failed.length + report.raced.length > 0) deps.log.warn('reaper run', { ...report });
  return report;
}

/** How often the compose went back to `queued` after its first time there. */
const requeuesOf = (compose: Compose): number => Math.max(0, (compose.history ?? []).filter((h) => h.state === 'queued').length - 1);

/** Conditions pinning the owner the reaper saw: same runner, same job, no newer delivery since. */
const sameOwner = (compose: Compose) => ({
  from: [compose.state],
  ...(compose.runnerId !== undefined ? { runnerId: compose.runnerId } : {}),
  ...(compose.jobMessageId !== undefined ? { jobMessageId: compose.jobMessageId } : {}),
  attemptBelow: compose.attempt + 1,
});

async function failLost(deps: Pick<ServiceDeps, 'store'>, compose: Compose, now: Date): Promise<'failed' | 'raced'> {
  const reason = `runner stopped heartbeating (last heartbeat ${compose.heartbeatAt ?? 'never'}); attempt ${compose.attempt}, delivery ${compose.delivery ?? compose.attempt}, requeued ${requeuesOf(compose)} times`;
  const failed = await deps.store.transition(compose.orgId, compose.id, {
    ...sameOwner(compose),
    to: 'failure',
    set: { finishedAt: now.toISOString(), result: { success: false, error: composeError(ComposeErrorId.RunnerLost, reason) } },
  });
  return failed ? 'failed' : 'raced';
}

async function requeueLost(deps: Pick<ServiceDeps, 'store' | 'queue'>, compose: Compose, now: Date): Promise<'requeued' | 'raced'> {
  const requeued = await deps.store.transition(compose.orgId, compose.id, {
    ...sameOwner(compose),
    to: 'queued',
    // The heartbeat restarts the waiting clock: a requeued compose that no runner picks up times out as `queued`.
    set: { heartbeatAt: now.toISOString(), requeueReason: `runner ${compose.runnerId ?? '(unknown)'} stopped heartbeating`, progress: undefined },
  });
  if (!requeued) return 'raced';
  const job = buildJobFor(compose.orgId, compose.id);
  await deps.queue.send(buildQueueFor(compose.spec.architecture), job);
  return 'requeued';
}
