/**
 * Creates the table, bucket and queues on local stand-ins (DynamoDB Local, fauxqs) with the same shape serverless.yml
 * gives them on AWS; test/aws/template.test.ts checks that the two agree.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BY_BLUEPRINT_INDEX, BY_CREATED_INDEX, BY_STATE_HEARTBEAT_INDEX } from './dynamodb-compose-store.ts';
import { deadLetterQueueOf } from '../../ports/job-queue.ts';

/** Key schema and indexes of the compose table (billing and stream settings are the deployment's). */
export const COMPOSE_TABLE_SHAPE = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'gsi1pk', AttributeType: 'S' },
    { AttributeName: 'gsi1sk', AttributeType: 'S' },
    { AttributeName: 'gsi2pk', AttributeType: 'S' },
    { AttributeName: 'gsi2sk', AttributeType: 'S' },
    { AttributeName: 'gsi3pk', AttributeType: 'S' },
    { AttributeName: 'gsi3sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: BY_CREATED_INDEX,
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    },
    {
      IndexName: BY_STATE_HEARTBEAT_INDEX,
      KeySchema: [
        { AttributeName: 'gsi2pk', KeyType: 'HASH' },
        { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
    {
      IndexName: BY_BLUEPRINT_INDEX,
      KeySchema: [
        { AttributeName: 'gsi3pk', KeyType: 'HASH' },
        { AttributeName: 'gsi3sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['blueprint'] },
    },
  ],
} satisfies Partial<CreateTableCommandInput>;

export async function createComposeTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        ...COMPOSE_TABLE_SHAPE,
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw new Error(`could not create table ${tableName}`, { cause: error });
  }
  for (let i = 0; i < 100; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`table ${tableName} did not become active`);
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw new Error(`could not create bucket ${bucket}`, { cause: error });
  }
}

/** A queue `<prefix><name>` with its dead-letter queue `<prefix><name>-dlq` after `maxReceives` receives. */
export async function createQueueWithDeadLetter(
  client: SQSClient,
  prefix: string,
  name: string,
  options: { maxReceives: number; visibilitySeconds?: number },
): Promise<{ queueUrl: string; deadLetterUrl: string }> {
  const dead = await client.send(new CreateQueueCommand({ QueueName: `${prefix}${deadLetterQueueOf(name)}`, Attributes: { MessageRetentionPeriod: '1209600' } }));
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: dead.QueueUrl, AttributeNames: ['QueueArn'] }));
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: `${prefix}${name}`,
      Attributes: {
        VisibilityTimeout: String(options.visibilitySeconds ?? 120),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: options.maxReceives }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl ?? '', deadLetterUrl: dead.QueueUrl ?? '' };
}
