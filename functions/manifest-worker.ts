import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readComposeJob } from '../layers/src/compose/jobs.ts';
import { generateComposeManifest } from '../layers/src/service/generate-compose-manifest.ts';
import type { ServiceDeps } from '../layers/src/service/deps.ts';

/** SQS consumer of manifest jobs; reports per-record failures so only failed records are retried. */
export function createManifestWorkerHandler(deps: ServiceDeps) {
  return middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        const reading = readComposeJob(JSON.parse(record.body), 'manifest');
        if (!reading.ok && reading.problem === 'malformed') {
          deps.log.warn('manifest queue message dropped', { messageId: record.messageId, reason: reading.reason });
          continue;
        }
        if (!reading.ok) {
          // Not ours to read (a newer deployment wrote it): left undeleted, it reaches the dead-letter queue, whose
          // handler fails the compose with this reason.
          deps.log.warn('manifest job left for the dead-letter path', { messageId: record.messageId, reason: reading.reason });
          batchItemFailures.push({ itemIdentifier: record.messageId });
          continue;
        }
        await generateComposeManifest(deps, reading.job);
      } catch (error) {
        deps.log.error('manifest job failed; will be retried', { messageId: record.messageId, error });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  });
}
