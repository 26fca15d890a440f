/** The Lambda functions a local stack runs in-process: SQS consumers (manifest worker, dead letters) and the reaper. */
import { createManifestWorkerHandler } from '../functions/manifest-worker.ts';
import { createDeadLetterHandler } from '../functions/dead-letter.ts';
import type { Logger } from '../layers/src/log/logger.ts';
import type { ServiceDeps } from '../layers/src/service/deps.ts';
import { deadLetterQueueOf } from '../layers/src/ports/job-queue.ts';
import { reapStaleComposes, type ReaperOptions } from '../layers/src/service/reaper.ts';
import { startQueueConsumer } from './queue-consumer.ts';
import { ARCHITECTURES } from '../layers/src/distro/generic/distributions.ts';
import { settleFinishedKojiBuilds } from '../functions/composer-v2/koji/koji-builds.ts';

export interface WorkerOptions {
  /** How often the reaper looks for builds whose runner stopped heartbeating (the scheduled Lambda on AWS). */
  reaperIntervalMs: number;
  reaper: ReaperOptions;
  /** Runner takeover age, shared with the dead-letter handler. */
  runnerStaleAfterSeconds: number;
}

export function startQueueWorkers(deps: ServiceDeps, log: Logger, options: WorkerOptions) {
  const deadLetters = { runnerStaleAfterSeconds: options.runnerStaleAfterSeconds };
  const consumers = [
    startQueueConsumer(deps.queue, 'manifest', createManifestWorkerHandler(deps), log),
    startQueueConsumer(deps.queue, deadLetterQueueOf('manifest'), createDeadLetterHandler(deps, 'manifest', deadLetters), log),
    ...ARCHITECTURES.map((arch) =>
      startQueueConsumer(deps.queue, deadLetterQueueOf(`build-${arch}`), createDeadLetterHandler(deps, `build-${arch}`, deadLetters), log),
    ),
  ];
  const reaper = setInterval(() => {
    reapStaleComposes(deps, options.reaper).catch((error: unknown) => log.error('reaper run failed', { error }));
  }, options.reaperIntervalMs);
  reaper.unref();
  // What the status-events function does on AWS for Koji composes: settle each finished one's build (claimed once).
  let settling = Promise.resolve();
  const koji = setInterval(() => {
    settling = settling.then(() => settleFinishedKojiBuilds(deps)).catch((error: unknown) => log.error('koji settle failed', { error }));
  }, 500);
  koji.unref();
  return {
    stop: async () => {
      clearInterval(reaper);
      clearInterval(koji);
      await settling;
      await Promise.all(consumers.map((c) => c.stop()));
    },
  };
}
