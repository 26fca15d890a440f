/** Which artifacts a run removes when it ends: never the recorded set, never another live attempt's. */
import { artifactPrefix } from '../../layers/src/compose/blob-keys.ts';
import type { RunContext } from './run-context.ts';

/**
 * A run that lost the compose after uploading leaves no objects behind: its attempt number is its own, so nothing
 * under its prefix belongs to the attempt that owns the compose now (whose cleanup may already have run).
 */
export async function removeOwnArtifacts(ctx: RunContext): Promise<void> {
  const { orgId, id, attempt } = ctx.compose;
  if (attempt === 0) return;
  try {
    // A success write whose answer was lost may have landed: never delete the artifacts a compose records.
    const current = await ctx.deps.store.get(orgId, id);
    if (!current || (current.state === 'success' && current.attempt === attempt)) return;
    for (const blob of await ctx.deps.blobs.list(artifactPrefix(orgId, id, attempt))) await ctx.deps.blobs.delete(blob.key);
  } catch (error) {
    ctx.log.warn('could not remove the artifacts of a lost attempt', { error });
  }
}

/**
 * Artifacts of other attempts (a runner that died mid-upload) must not linger beside the recorded set: every object
 * of the compose outside `keep`, or all of them for a cancelled compose (`keep` undefined).
 */
export async function removeOtherAttempts(ctx: RunContext, keep: string | undefined): Promise<void> {
  const { orgId, id } = ctx.compose;
  const base = artifactPrefix(orgId, id, 0).replace(/0\/$/, '');
  try {
    for (const blob of await ctx.deps.blobs.list(base)) {
      if (keep === undefined || !blob.key.startsWith(keep)) await ctx.deps.blobs.delete(blob.key);
    }
  } catch (error) {
    ctx.log.warn('could not remove artifacts of earlier attempts', { error });
  }
}
