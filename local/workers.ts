import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createManifestWorkerHandler } from '../functions/manifest-worker.ts';
import { createDeadLetterHandler } from '../functions/dead-letter.ts';
import type { Logger } from '../layers/src/log/logger.ts';
import type { ServiceDeps } from '../layers/src/service/deps.ts';
import { deadLetterQueueOf } from '../layers/src/ports/job-queue.ts';
import { startQueueConsumer } from './queue-consumer.ts';

export const ARCHITECTURES = ['x86_64', 'aarch64'];
const RUNNER_MAIN = fileURLToPath(new URL('../runner-ami/src/main.ts', import.meta.url));

/** The Lambda SQS consumers of a local stack: the manifest worker and the dead-letter handlers. */
export function startQueueWorkers(deps: ServiceDeps, log: Logger) {
  const consumers = [
    startQueueConsumer(deps.queue, 'manifest', createManifestWorkerHandler(deps), log),
    startQueueConsumer(deps.queue, deadLetterQueueOf('manifest'), createDeadLetterHandler(deps, 'manifest'), log),
    ...ARCHITECTURES.map((arch) =>
      startQueueConsumer(deps.queue, deadLetterQueueOf(`build-${arch}`), createDeadLetterHandler(deps, `build-${arch}`), log),
    ),
  ];
  return { stop: () => Promise.all(consumers.map((c) => c.stop())) };
}

/** Runner agents as child processes, numbered `<prefix>-1..count`; `env` is added to this process's environment. */
export function spawnRunners(count: number, prefix: string, env: NodeJS.ProcessEnv): ChildProcess[] {
  return Array.from({ length: count }, (_, i) =>
    spawn(process.execPath, ['--import', 'tsx', RUNNER_MAIN], {
      env: {
        ...process.env,
        IBS_RUNNER_ID: `${prefix}-${i + 1}`,
        IBS_ARCHITECTURES: process.env.IBS_ARCHITECTURES ?? ARCHITECTURES.join(','),
        ...env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
}

/** SIGTERM lets a runner hand its build back; SIGKILL if it takes longer than the grace period. */
export async function stopRunners(runners: ChildProcess[], graceMs = 15_000): Promise<void> {
  await Promise.all(
    runners.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }),
  );
}
