import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { JobQueue } from '../layers/src/ports/job-queue.ts';
import type { Logger } from '../layers/src/log/logger.ts';

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

/**
 * Local stand-in for a Lambda SQS event source: long-polls a JobQueue, hands batches to the same SQS handler that
 * runs in AWS, and deletes the records the handler did not report as failed.
 */
export function startQueueConsumer(queue: JobQueue, queueName: string, handler: SqsHandler, log: Logger, options = { batchSize: 5, visibilitySeconds: 120 }) {
  let running = true;
  const done = (async () => {
    while (running) {
      try {
        const messages = await queue.receive(queueName, { maxMessages: options.batchSize, waitSeconds: 1, visibilitySeconds: options.visibilitySeconds });
        if (messages.length === 0) continue;
        const records = messages.map(
          (m) =>
            ({
              messageId: m.id,
              receiptHandle: m.receiptHandle,
              body: JSON.stringify(m.body),
              attributes: { ApproximateReceiveCount: String(m.receiveCount) },
              messageAttributes: {},
              eventSource: 'aws:sqs',
              eventSourceARN: `arn:aws:sqs:local:000000000000:${queueName}`,
              awsRegion: 'local',
            }) as unknown as SQSRecord,
        );
        const result = await handler({ Records: records }, { awsRequestId: queueName } as Context);
        const failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        for (const m of messages) if (!failed.has(m.id)) await queue.delete(queueName, m.receiptHandle);
      } catch (error) {
        log.error('queue consumer error', { queue: queueName, error });
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
}
