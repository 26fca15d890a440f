import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { isComposeJob } from '../layers/src/compose/jobs.ts';
import { generateComposeManifest } from '../layers/src/service/generate-compose-manifest.ts';
import type { ServiceDeps } from '../layers/src/service/deps.ts';

/** SQS consumer of manifest jobs; reports per-record failures so only failed records are retried. */
export function createManifestWorkerHandler(deps: ServiceDeps) {
  return middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        const body: unknown = JSON.parse(record.body);
        if (!isComposeJob(body)) {
          deps.log.warn('manifest queue message is not a compose job; dropped', { messageId: record.messageId });
          continue;
        }
        await generateComposeManifest(deps, { kind: 'manifest', orgId: body.orgId, composeId: body.composeId });
      } catch (error) {
        deps.log.error('manifest job failed; will be retried', { messageId: record.messageId, error });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  });
}
