import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsAdaptersConfig } from './aws-config.ts';
import { clientOptions } from './aws-config.ts';
import { DynamoDbComposeStore } from './dynamodb-compose-store.ts';
import { S3BlobStore } from './s3-blob-store.ts';
import { SqsJobQueue } from './sqs-job-queue.ts';

export interface AwsAdapters {
  store: DynamoDbComposeStore;
  blobs: S3BlobStore;
  queue: SqsJobQueue;
  clients: { dynamodb: DynamoDBClient; s3: S3Client; s3Stream: S3Client; sqs: SQSClient };
  /** Closes the SDK clients' sockets. */
  close(): Promise<void>;
}

export const createDynamoDbClient = (config: AwsAdaptersConfig) => new DynamoDBClient(clientOptions(config, config.endpoints?.dynamodb));

// A stand-in endpoint means path-style addressing (`*.localhost` virtual hosts do not resolve).
export const createS3Client = (config: AwsAdaptersConfig, options: { checksums?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED' } = {}) =>
  new S3Client({
    ...clientOptions(config, config.endpoints?.s3),
    ...(config.endpoints?.s3 ? { forcePathStyle: true } : {}),
    ...(options.checksums ? { requestChecksumCalculation: options.checksums } : {}),
  });

// Stand-ins answer on their own endpoint whatever host their queue URLs name.
export const createSqsClient = (config: AwsAdaptersConfig) =>
  new SQSClient({ ...clientOptions(config, config.endpoints?.sqs), ...(config.endpoints?.sqs ? { useQueueUrlAsEndpoint: false } : {}) });

/**
 * The AWS implementations of the three ports: DynamoDB ComposeStore, S3 BlobStore, SQS JobQueue. Used by the Lambda
 * composition root (functions/aws/deps.ts), the runner (`IBS_BACKEND=aws`) and `npm run start:aws-local`.
 */
export function createAwsAdapters(config: AwsAdaptersConfig): AwsAdapters {
  const clients = {
    dynamodb: createDynamoDbClient(config),
    s3: createS3Client(config),
    // Artifacts carry our own sha256, checked on download: no per-part CRC32 (see S3BlobStoreOptions.streamClient).
    s3Stream: createS3Client(config, { checksums: 'WHEN_REQUIRED' }),
    sqs: createSqsClient(config),
  };
  return {
    store: new DynamoDbComposeStore(clients.dynamodb, config.tableName),
    blobs: new S3BlobStore(clients.s3, { bucket: config.bucketName, streamClient: clients.s3Stream }),
    queue: new SqsJobQueue(clients.sqs, config.queueUrlPrefix),
    clients,
    close: async () => {
      clients.dynamodb.destroy();
      clients.s3.destroy();
      clients.s3Stream.destroy();
      clients.sqs.destroy();
    },
  };
}
