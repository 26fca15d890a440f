import { ComposeErrorId, composeError } from '../compose/compose-errors.ts';
import { isComposeJob } from '../compose/jobs.ts';
import type { ServiceDeps } from './deps.ts';

/**
 * A job that landed in a dead-letter queue was received too often without finishing: the compose fails with the
 * reason, so no compose waits forever.
 */
export async function failDeadLetteredJob(deps: ServiceDeps, sourceQueue: string, body: unknown): Promise<boolean> {
  if (!isComposeJob(body)) {
    deps.log.warn('dead-lettered message is not a compose job; dropped', { sourceQueue });
    return false;
  }
  const building = sourceQueue.startsWith('build-');
  const reason = building
    ? 'runner stopped heartbeating: the build job was delivered too many times without finishing'
    : 'manifest generation did not finish after repeated attempts';
  const failed = await deps.store.transition(body.orgId, body.composeId, {
    from: ['pending', 'queued', 'building', 'uploading'],
    to: 'failure',
    set: {
      finishedAt: new Date().toISOString(),
      result: { success: false, error: composeError(building ? ComposeErrorId.RunnerLost : ComposeErrorId.ManifestGeneration, reason) },
    },
  });
  deps.log.warn('dead-lettered job', { sourceQueue, orgId: body.orgId, composeId: body.composeId, failed: Boolean(failed) });
  return Boolean(failed);
}
