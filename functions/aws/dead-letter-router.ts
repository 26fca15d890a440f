import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import type { DeadLetterOptions } from '../../layers/src/service/dead-letter.ts';
import { createDeadLetterHandler } from '../dead-letter.ts';

const DLQ_SUFFIX = '-dlq';

/** The logical queue a dead-letter record came from: `arn:...:<prefix><queue>-dlq` → `<queue>`. */
export function sourceQueueOf(record: Pick<SQSRecord, 'eventSourceARN'>, queueNamePrefix: string): string | undefined {
  const name = record.eventSourceARN.slice(record.eventSourceARN.lastIndexOf(':') + 1);
  if (!name.startsWith(queueNamePrefix) || !name.endsWith(DLQ_SUFFIX)) return undefined;
  return name.slice(queueNamePrefix.length, -DLQ_SUFFIX.length);
}

/**
 * One function consumes every dead-letter queue (manifest and each build queue): records are grouped by the queue they
 * died in and handed to that queue's dead-letter handler, so each compose fails with the right reason.
 */
export function createDeadLetterRouter(deps: ServiceDeps, queueNamePrefix: string, options?: DeadLetterOptions) {
  const handlers = new Map<string, ReturnType<typeof createDeadLetterHandler>>();
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const groups = new Map<string, SQSRecord[]>();
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      const source = sourceQueueOf(record, queueNamePrefix);
      if (!source) {
        deps.log.error('dead-letter record from an unexpected queue; left for retry', { arn: record.eventSourceARN });
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      groups.set(source, [...(groups.get(source) ?? []), record]);
    }
    for (const [source, records] of groups) {
      let handler = handlers.get(source);
      if (!handler) handlers.set(source, (handler = createDeadLetterHandler(deps, source, options)));
      const result = await handler({ Records: records }, context);
      batchItemFailures.push(...(result?.batchItemFailures ?? []));
    }
    return { batchItemFailures };
  };
}
