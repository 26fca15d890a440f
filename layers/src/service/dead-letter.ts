import { ComposeErrorId, composeError } from '../compose/compose-errors.ts';
import { isComposeJob, readComposeJob } from '../compose/jobs.ts';
import type { ServiceDeps } from './deps.ts';

export interface DeadLetterOptions {
  /**
   * A build whose runner heartbeated more recently than this is alive (a duplicate delivery burned the job's receives
   * while it built): it is left alone, and the reaper takes over should that runner stop. The runners' takeover age
   * (IBS_RUNNER_STALE_AFTER_SECONDS; default 90 s, three 30 s heartbeats).
   */
  runnerStaleAfterSeconds: number;
  now?: () => Date;
}

export const DEFAULT_DEAD_LETTER_OPTIONS: DeadLetterOptions = { runnerStaleAfterSeconds: 90 };

/**
 * A job that landed in a dead-letter queue was received too often without finishing: the compose fails with the
 * reason, so no compose waits forever – unless a runner is still building it (then it is not lost).
 */
export async function failDeadLetteredJob(
  deps: ServiceDeps,
  sourceQueue: string,
  body: unknown,
  options: DeadLetterOptions = DEFAULT_DEAD_LETTER_OPTIONS,
): Promise<boolean> {
  if (!isComposeJob(body)) {
    deps.log.warn('dead-lettered message is not a compose job; dropped', { sourceQueue });
    return false;
  }
  const building = sourceQueue.startsWith('build-');
  const now = options.now?.() ?? new Date();
  const reading = readComposeJob(body, building ? 'build' : 'manifest');
  const error = !reading.ok
    ? composeError(ComposeErrorId.Internal, `the ${building ? 'build' : 'manifest'} job could not be read: ${reading.reason}`)
    : building
      ? composeError(ComposeErrorId.RunnerLost, 'runner stopped heartbeating: the build job was delivered too many times without finishing')
      : composeError(ComposeErrorId.ManifestGeneration, 'manifest generation did not finish after repeated attempts');
  const set = { finishedAt: now.toISOString(), result: { success: false, error } };
  const waiting = await deps.store.transition(body.orgId, body.composeId, { from: ['pending', 'queued'], to: 'failure', set });
  const failed =
    waiting ??
    (await deps.store.transition(body.orgId, body.composeId, {
      from: ['building', 'uploading'],
      to: 'failure',
      set,
      heartbeatBefore: new Date(now.getTime() - options.runnerStaleAfterSeconds * 1000).toISOString(),
    }));
  if (!failed) {
    const compose = await deps.store.get(body.orgId, body.composeId);
    deps.log.info('dead-lettered job of a compose that is finished or still building; left as it is', {
      sourceQueue,
      orgId: body.orgId,
      composeId: body.composeId,
      state: compose?.state,
      heartbeatAt: compose?.heartbeatAt,
    });
    return false;
  }
  deps.log.warn('dead-lettered job failed its compose', { sourceQueue, orgId: body.orgId, composeId: body.composeId });
  return true;
}
