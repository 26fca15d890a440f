import { DynamoDbBlueprintStore } from './dynamodb-blueprint-store.ts';
/**
 * All three AWS adapters at once, with their clients: for the runner (`IBS_BACKEND=aws`), the local stack on the
 * stand-ins and tests. Lambda functions wire only the ports they use, from the per-adapter factories
 * (functions/aws/deps.ts), so their bundles carry no client they never call.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsAdaptersConfig } from './aws-config.ts';
import { createDynamoDbClient, createDynamoDbComposeStore } from './dynamodb-compose-store-factory.ts';
import type { DynamoDbComposeStore } from './dynamodb-compose-store.ts';
import { createS3BlobStore, createS3Clients, type S3BlobStore } from './s3-blob-store.ts';
import { createSqsClient, createSqsJobQueue, type SqsJobQueue } from './sqs-job-queue.ts';

export { createDynamoDbClient } from './dynamodb-compose-store-factory.ts';
export { createS3Client } from './s3-blob-store.ts';
export { createSqsClient } from './sqs-job-queue.ts';

export interface AwsAdapters {
  store: DynamoDbComposeStore;
  blueprints: DynamoDbBlueprintStore;
  blobs: S3BlobStore;
  queue: SqsJobQueue;
  clients: { dynamodb: DynamoDBClient; s3: S3Client; s3Stream: S3Client; sqs: SQSClient };
  /** Closes the SDK clients' sockets. */
  close(): Promise<void>;
}

/** The DynamoDB ComposeStore, S3 BlobStore and SQS JobQueue of one configuration. */
export function createAwsAdapters(config: AwsAdaptersConfig): AwsAdapters {
  const clients = { dynamodb: createDynamoDbClient(config), ...createS3Clients(config), sqs: createSqsClient(config) };
  return {
    store: createDynamoDbComposeStore(config, clients.dynamodb),
    blueprints: new DynamoDbBlueprintStore(clients.dynamodb, config.tableName),
    blobs: createS3BlobStore(config, clients),
    queue: createSqsJobQueue(config, clients.sqs),
    clients,
    close: async () => {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}
