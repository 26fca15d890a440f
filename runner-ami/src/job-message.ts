/** The build job's queue message as one run holds it: delete, delay, extend, or send it again as a fresh message. */
import type { BuildJob } from '../../layers/src/compose/jobs.ts';
import type { Logger } from '../../layers/src/log/logger.ts';
import type { JobQueue, QueueMessage } from '../../layers/src/ports/job-queue.ts';

export class JobMessage {
  constructor(
    private readonly queue: JobQueue,
    readonly queueName: string,
    readonly message: QueueMessage<BuildJob>,
    private readonly log: Logger,
  ) {}

  get body(): BuildJob {
    return this.message.body;
  }

  /** Receives of this message: retries reuse it, so this bounds them like the dead-letter queue does. */
  get receiveCount(): number {
    return this.message.receiveCount;
  }

  /** Keeps the message from other runners for `seconds` more; throws when the queue refuses. */
  extend(seconds: number): Promise<void> {
    return this.queue.changeVisibility(this.queueName, this.message.receiptHandle, seconds);
  }

  async delete(): Promise<void> {
    try {
      await this.queue.delete(this.queueName, this.message.receiptHandle);
    } catch (error) {
      this.log.warn('could not delete the build job', { error });
    }
  }

  /** The message comes back after `seconds` (best effort: otherwise by its visibility timeout). */
  async showAgainIn(seconds: number): Promise<void> {
    try {
      await this.queue.changeVisibility(this.queueName, this.message.receiptHandle, seconds);
    } catch (error) {
      this.log.warn('could not change the job visibility', { error, seconds });
    }
  }

  /** A retry: the same message after `seconds` (it counts towards the dead-letter limit), or a fresh one if the receipt is stale. */
  async retryIn(seconds: number): Promise<void> {
    try {
      await this.queue.changeVisibility(this.queueName, this.message.receiptHandle, seconds);
    } catch (error) {
      // Our receipt is stale (the queue handed the message out again, or it was dead-lettered meanwhile): a fresh
      // message keeps the queued compose from waiting for nothing; a duplicate one is dropped by the claim.
      this.log.warn('could not delay the build job; sending a fresh one', { error });
      await this.queue.send(this.queueName, this.message.body, { delaySeconds: seconds });
    }
  }

  /** A hand-back that is not the build's fault: a fresh message, so interruptions never dead-letter a compose. */
  async resendFresh(seconds: number): Promise<void> {
    try {
      await this.queue.send(this.queueName, this.message.body, { delaySeconds: seconds });
      await this.delete();
    } catch (error) {
      // The old message still returns after its visibility timeout; the compose is queued, so it is rebuilt.
      this.log.warn('could not requeue the build job as a fresh message; it returns by its visibility timeout', { error });
      await this.showAgainIn(seconds);
    }
  }
}
