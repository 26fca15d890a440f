import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DEFAULT_DEAD_LETTER_OPTIONS, failDeadLetteredJob, type DeadLetterOptions } from '../layers/src/service/dead-letter.ts';
import type { ServiceDeps } from '../layers/src/service/deps.ts';

/** Consumer of one dead-letter queue: fails the compose of every job that could not be processed. */
export function createDeadLetterHandler(
  deps: ServiceDeps,
  sourceQueue: string,
  options: DeadLetterOptions = DEFAULT_DEAD_LETTER_OPTIONS,
) {
  return middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        await failDeadLetteredJob(deps, sourceQueue, JSON.parse(record.body), options);
      } catch (error) {
        deps.log.error('dead-letter handling failed', { messageId: record.messageId, error });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  });
}
