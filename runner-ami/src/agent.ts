import type { BuildJob } from '../../layers/src/compose/jobs.ts';
import { buildQueueFor, type QueueMessage } from '../../layers/src/ports/job-queue.ts';
import { sweepAbandonedBuilds } from './build-dirs.ts';
import { BuildJobRun, type JobOutcome, type RunnerDeps } from './build-job.ts';

export type AgentDeps = Omit<RunnerDeps, 'activeBuilds'>;

/**
 * The receive loop: long-polls the build queues of this host's architectures, runs up to `concurrency` builds,
 * and on shutdown stops receiving and hands every running build back (never leaves a compose claimed).
 */
export class RunnerAgent {
  private readonly active = new Set<BuildJobRun>();
  private readonly running = new Set<Promise<unknown>>();
  private stopping?: string;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly queues: string[];
  private nextQueue = 0;
  /** Outcome counts, for tests and the shutdown log line. */
  readonly outcomes: Partial<Record<JobOutcome | 'error', number>> = {};

  constructor(private readonly deps: AgentDeps) {
    this.queues = deps.config.architectures.map(buildQueueFor);
  }

  start(): void {
    this.loop ??= sweepAbandonedBuilds(this.deps.config.workDir, this.deps.log)
      .catch((error: unknown) => this.deps.log.warn('could not sweep abandoned builds', { error }))
      .then(() => this.receiveLoop());
  }

  get activeBuilds(): number {
    return this.active.size;
  }

  /** Stops receiving, hands running builds back with `reason`, waits for them to let go. */
  async shutdown(reason: string): Promise<void> {
    if (!this.stopping) {
      this.stopping = reason;
      this.deps.log.info('runner stopping', { reason, activeBuilds: this.active.size });
      for (const run of this.active) run.stop({ kind: 'handback', reason });
      this.wake?.();
    }
    await this.loop;
    await Promise.allSettled([...this.running]);
  }

  private async receiveLoop(): Promise<void> {
    const { queue, config, log } = this.deps;
    while (!this.stopping) {
      const free = config.concurrency - this.active.size;
      if (free <= 0) {
        await this.waitForSlot();
        continue;
      }
      const queueName = this.queues[this.nextQueue++ % this.queues.length];
      // With several queues, poll each briefly so none waits behind another's long poll.
      const waitSeconds = this.queues.length > 1 ? Math.min(2, config.receiveWaitSeconds) : config.receiveWaitSeconds;
      let messages: QueueMessage<BuildJob>[];
      try {
        messages = await queue.receive<BuildJob>(queueName, {
          maxMessages: free,
          waitSeconds,
          visibilitySeconds: config.visibilitySeconds,
        });
      } catch (error) {
        log.warn('receive failed', { queue: queueName, error });
        await this.sleep(2000);
        continue;
      }
      for (const message of messages) {
        if (this.stopping) {
          // Received while shutting down: give it straight back.
          await queue.changeVisibility(queueName, message.receiptHandle, 0).catch(() => {});
          continue;
        }
        this.startRun(queueName, message);
      }
    }
  }

  private startRun(queueName: string, message: QueueMessage<BuildJob>): void {
    const run = new BuildJobRun({ ...this.deps, activeBuilds: () => this.active.size }, queueName, message);
    this.active.add(run);
    const done = run
      .run()
      .then((outcome) => {
        this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
      })
      .catch((error: unknown) => {
        this.outcomes.error = (this.outcomes.error ?? 0) + 1;
        this.deps.log.error('build job crashed', { messageId: message.id, error });
      })
      .finally(() => {
        this.active.delete(run);
        this.running.delete(done);
        this.wake?.();
      });
    this.running.add(done);
  }

  /** Resolves when a build finishes or shutdown begins. */
  private waitForSlot(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
