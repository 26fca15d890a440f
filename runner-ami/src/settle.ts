/**
 * How a run ends when it does not succeed: fail the compose, retry it, hand it back, or let go of it (cancelled under
 * it, taken over) — every record conditional on this run still owning the compose.
 */
import type { BuildResult, ComposeError } from '../../layers/src/compose/compose.ts';
import { ComposeErrorId, composeError } from '../../layers/src/compose/compose-errors.ts';
import { removeOtherAttempts, removeOwnArtifacts } from './artifact-cleanup.ts';
import type { JobOutcome, RunContext, StopRequest } from './run-context.ts';

/** The log is complete before the compose says it is finished (the API reports `complete` from the state). */
export const flushBuildLog = (ctx: RunContext): Promise<void> => ctx.buildLog.flush().catch(() => {});

/**
 * The result as recorded, with `logError` when part or all of the build log could not be stored (item 9 of issue 17):
 * the build's own outcome is unchanged (a lost log does not make an image bad), but nobody mistakes a missing log for
 * a quiet build. A failure carries it in `error.details.logError` too, which the API shows with the error.
 * Call after the final flush.
 */
export function recordedResult(ctx: RunContext, result: BuildResult): BuildResult {
  const logError = ctx.buildLog.lossReport();
  if (!logError) return result;
  ctx.log.warn('build log not (completely) stored', { logError });
  const error = result.error && { ...result.error, details: { ...detailsObject(result.error.details), logError } };
  return { ...result, ...(error ? { error } : {}), logError };
}

const detailsObject = (details: unknown): Record<string, unknown> =>
  details === undefined ? {} : typeof details === 'object' && details !== null && !Array.isArray(details) ? (details as Record<string, unknown>) : { value: details };

export async function fail(ctx: RunContext, error: ComposeError, extra: Partial<BuildResult> = {}): Promise<JobOutcome> {
  const { compose } = ctx;
  ctx.buildLog.line(`==> failed: ${error.reason}`);
  await flushBuildLog(ctx);
  const failed = await ctx.deps.store.transition(compose.orgId, compose.id, {
    from: ['building', 'uploading'],
    to: 'failure',
    set: { finishedAt: new Date().toISOString(), result: recordedResult(ctx, { success: false, ...extra, error }) },
    ...ctx.lease.ownership(),
  });
  if (!failed) return settleRefused(ctx, 'could not record the failure');
  ctx.lease.end();
  ctx.log.warn('compose failed', { error });
  await ctx.job.delete();
  return 'failure';
}

/** A failure that another attempt may not repeat: retried while deliveries remain, then a failure. */
export async function failOrRetry(ctx: RunContext, error: ComposeError, internal: boolean): Promise<JobOutcome> {
  const delivery = ctx.job.receiveCount;
  const { maxAttempts, retryDelaySeconds } = ctx.deps.config;
  if (delivery < maxAttempts) {
    const delay = Math.min(300, retryDelaySeconds * delivery);
    ctx.buildLog.line(`==> attempt ${ctx.compose.attempt} failed, retrying in ${delay}s: ${error.reason}`);
    return handBack(ctx, `attempt ${ctx.compose.attempt} failed: ${error.reason}`, delay, { fresh: false });
  }
  if (internal) ctx.log.error('giving up on the compose', { error });
  return fail(ctx, error);
}

/**
 * `→ queued` and the job available again after `delaySeconds`: another runner (or we, later) starts over.
 * A retry reuses the message, so retries count towards the dead-letter limit; a hand-back that is not the build's
 * fault (shutdown, spot interruption) sends a fresh message instead, so interruptions never dead-letter a compose.
 */
async function handBack(ctx: RunContext, reason: string, delaySeconds: number, options: { fresh: boolean }): Promise<JobOutcome> {
  const { compose } = ctx;
  const queued = await ctx.deps.store.transition(compose.orgId, compose.id, {
    from: ['building', 'uploading'],
    to: 'queued',
    set: { requeueReason: reason, progress: { done: 0, total: 0 } },
    ...ctx.lease.ownership(),
  });
  if (!queued) return settleRefused(ctx, `could not hand the compose back (${reason})`);
  if (options.fresh) await ctx.job.resendFresh(delaySeconds);
  else await ctx.job.retryIn(delaySeconds);
  ctx.log.info('build handed back', { reason, delaySeconds, fresh: options.fresh });
  return options.fresh ? 'handed-back' : 'retry';
}

/** The run was asked to stop (and osbuild has exited): record what the request means. */
export async function settleStopped(ctx: RunContext, request: StopRequest): Promise<JobOutcome> {
  switch (request.kind) {
    case 'cancel':
      return settleCancelled(ctx);
    case 'lost':
      // Our osbuild is gone: let the next delivery come as soon as it may take over, not a visibility timeout later.
      if (request.storeSilent) await ctx.job.showAgainIn(ctx.lease.secondsUntilTakeover());
      return letGo(ctx, `attempt ${ctx.compose.attempt} stopped: ${request.reason}`);
    case 'handback':
      ctx.buildLog.line(`==> handing the build back: ${request.reason}`);
      return handBack(ctx, request.reason, 0, { fresh: true });
  }
}

/**
 * A conditional record was refused: the API cancelled the compose under us (the cancel won, so this run cleans up
 * as cancelled), or another delivery owns it now.
 */
export async function settleRefused(ctx: RunContext, what: string): Promise<JobOutcome> {
  const standing = await ctx.lease.standing().catch(() => 'lost' as const);
  if (standing === 'cancelled') return settleCancelled(ctx);
  return letGo(ctx, `${what}: the compose is no longer owned by this delivery`);
}

/** The API recorded `cancelled` (conditionally, while the build ran): nothing of the build may remain. */
async function settleCancelled(ctx: RunContext): Promise<JobOutcome> {
  ctx.lease.end();
  ctx.buildLog.line('==> cancelled');
  await flushBuildLog(ctx);
  await ctx.job.delete();
  await removeOtherAttempts(ctx, undefined);
  ctx.log.info('compose cancelled; build stopped and its artifacts removed');
  return 'cancelled';
}

async function letGo(ctx: RunContext, why: string): Promise<JobOutcome> {
  ctx.lease.end();
  ctx.buildLog.line(`==> ${why}`);
  ctx.log.warn('lost the compose to another delivery', { reason: why });
  await removeOwnArtifacts(ctx);
  return 'lost';
}

/** A failure the run did not foresee (a bug, a store error): retried like a crash, unless the run was stopping anyway. */
export function settleUnexpected(ctx: RunContext, error: unknown, stopRequest: StopRequest | undefined, text: string): Promise<JobOutcome> {
  ctx.log.error('build job failed unexpectedly', { error });
  if (stopRequest) return settleStopped(ctx, stopRequest);
  return failOrRetry(ctx, composeError(ComposeErrorId.Internal, `runner error: ${text}`), true);
}
