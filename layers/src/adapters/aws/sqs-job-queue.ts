import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { JobQueue, QueueMessage, ReceiveOptions } from '../../ports/job-queue.ts';
import { clientOptions, type AwsAdaptersConfig } from './aws-config.ts';

// Stand-ins answer on their own endpoint whatever host their queue URLs name.
export const createSqsClient = (config: AwsAdaptersConfig) =>
  new SQSClient({ ...clientOptions(config, config.endpoints?.sqs), ...(config.endpoints?.sqs ? { useQueueUrlAsEndpoint: false } : {}) });

/** The JobQueue of the configured queue prefix (IBS_QUEUE_URL_PREFIX); wiring only this pulls in only SQS. */
export const createSqsJobQueue = (config: AwsAdaptersConfig, client = createSqsClient(config)): SqsJobQueue =>
  new SqsJobQueue(client, config.queueUrlPrefix);

// SQS limits: at most 10 messages per receive, 20 s long poll, 12 h visibility.
const MAX_BATCH = 10;
const MAX_WAIT_SECONDS = 20;
const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, Math.floor(value)));

/**
 * JobQueue on SQS. A logical queue name maps to `<queueUrlPrefix><name>`: `manifest`, `build-<arch>` and their
 * `-dlq`s are created by serverless.yml with a redrive policy, so dead-lettering after maxReceiveCount is SQS's own.
 */
export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrlPrefix: string,
  ) {}

  urlOf(queue: string): string {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(queue)) throw new Error(`invalid queue name "${queue}"`);
    return `${this.queueUrlPrefix}${queue}`;
  }

  async send(queue: string, body: unknown, options: { delaySeconds?: number } = {}): Promise<string> {
    const { MessageId } = await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.urlOf(queue),
        MessageBody: JSON.stringify(body),
        ...(options.delaySeconds ? { DelaySeconds: clamp(options.delaySeconds, 0, 900) } : {}),
      }),
    );
    if (!MessageId) throw new Error(`SQS returned no message id for a message sent to ${queue}`);
    return MessageId;
  }

  async receive<T = unknown>(queue: string, options: ReceiveOptions = {}): Promise<QueueMessage<T>[]> {
    const { Messages } = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.urlOf(queue),
        MaxNumberOfMessages: clamp(options.maxMessages ?? 1, 1, MAX_BATCH),
        WaitTimeSeconds: clamp(options.waitSeconds ?? 0, 0, MAX_WAIT_SECONDS),
        ...(options.visibilitySeconds !== undefined ? { VisibilityTimeout: clamp(options.visibilitySeconds, 0, MAX_VISIBILITY_SECONDS) } : {}),
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    return (Messages ?? []).map((m) => ({
      id: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: JSON.parse(m.Body ?? 'null') as T,
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
    }));
  }

  async changeVisibility(queue: string, receiptHandle: string, seconds: number): Promise<void> {
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.urlOf(queue),
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: clamp(seconds, 0, MAX_VISIBILITY_SECONDS),
        }),
      );
    } catch (error) {
      throw new Error(`could not change the visibility of a message of queue ${queue}`, { cause: error });
    }
  }

  async delete(queue: string, receiptHandle: string): Promise<void> {
    try {
      await this.client.send(new DeleteMessageCommand({ QueueUrl: this.urlOf(queue), ReceiptHandle: receiptHandle }));
    } catch (error) {
      // Like the port says: deleting with a stale receipt handle is not an error.
      if (error instanceof ReceiptHandleIsInvalid) return;
      throw error;
    }
  }

  async depth(queue: string): Promise<{ visible: number; inFlight: number }> {
    const { Attributes } = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.urlOf(queue),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }
}
