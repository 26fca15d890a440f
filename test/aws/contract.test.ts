/**
 * The port contract suites (test/contract/*.contract.ts, unchanged) against the AWS adapters on local stand-ins:
 * DynamoDB Local for the ComposeStore, fauxqs for the BlobStore (S3) and the JobQueue (SQS). Started once per file.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { createAwsAdapters, type AwsAdapters } from '../../layers/src/adapters/aws/aws-adapters.ts';
import { createQueueWithDeadLetter } from '../../layers/src/adapters/aws/provision.ts';
import { SqsJobQueue } from '../../layers/src/adapters/aws/sqs-job-queue.ts';
import { dynamoDbLocalMissing, startAwsStandIns, type AwsStandIns } from '../../local/aws-stand-ins.ts';
import { describeBlobStoreContract } from '../contract/blob-store.contract.ts';
import { describeComposeStoreContract } from '../contract/compose-store.contract.ts';
import { describeComposeListFilterContract } from '../contract/compose-list-filter.contract.ts';
import { describeBlueprintStoreContract } from '../contract/blueprint-store.contract.ts';
import { DynamoDbBlueprintStore } from '../../layers/src/adapters/aws/dynamodb-blueprint-store.ts';
import { describeJobQueueContract } from '../contract/job-queue.contract.ts';
import { describeRateLimiterContract } from '../contract/rate-limiter.contract.ts';
import { DynamoDbRateLimiter } from '../../layers/src/adapters/aws/dynamodb-rate-limiter.ts';

const missing = dynamoDbLocalMissing();

describe.skipIf(Boolean(missing))(`AWS adapters on stand-ins${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let standIns: AwsStandIns;
  let adapters: AwsAdapters;
  const prefix = `c${Date.now().toString(36)}-`;
  beforeAll(async () => {
    standIns = await startAwsStandIns({ prefix });
    adapters = createAwsAdapters(standIns.config);
  });
  afterAll(async () => {
    await adapters?.close();
    await standIns?.stop();
  });

  describeComposeStoreContract('DynamoDB (DynamoDB Local)', async () => adapters.store);
  describeComposeListFilterContract('DynamoDB (DynamoDB Local)', async () => adapters.store);
  describeBlueprintStoreContract('DynamoDB (DynamoDB Local)', async () => new DynamoDbBlueprintStore(adapters.clients.dynamodb, standIns.config.tableName));
  describeRateLimiterContract('DynamoDB (DynamoDB Local)', async () => new DynamoDbRateLimiter(adapters.clients.dynamodb, standIns.config.tableName));
  describeBlobStoreContract('S3 (fauxqs)', async () => adapters.blobs);
  describeJobQueueContract('SQS (fauxqs)', async (maxReceives) => {
    // A fresh queue per case, with its own redrive policy, as serverless.yml creates them.
    const name = `q-${randomUUID().slice(0, 8)}`;
    await createQueueWithDeadLetter(adapters.clients.sqs, prefix, name, { maxReceives });
    return { queue: new SqsJobQueue(adapters.clients.sqs, standIns.config.queueUrlPrefix), name };
  });
});
