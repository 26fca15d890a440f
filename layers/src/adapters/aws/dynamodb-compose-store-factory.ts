/**
 * The DynamoDB ComposeStore's factories, beside its adapter (dynamodb-compose-store.ts): a composition root that wires
 * only the compose store pulls in only the DynamoDB client.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientOptions, type AwsAdaptersConfig } from './aws-config.ts';
import { DynamoDbComposeStore } from './dynamodb-compose-store.ts';
import { DynamoDbBlueprintStore } from './dynamodb-blueprint-store.ts';
import { DynamoDbRateLimiter } from './dynamodb-rate-limiter.ts';

export const createDynamoDbClient = (config: AwsAdaptersConfig) => new DynamoDBClient(clientOptions(config, config.endpoints?.dynamodb));

/** The ComposeStore on the configured table (IBS_TABLE). */
export const createDynamoDbComposeStore = (config: AwsAdaptersConfig, client = createDynamoDbClient(config)): DynamoDbComposeStore =>
  new DynamoDbComposeStore(client, config.tableName);

/** The BlueprintStore in the same table (its own key space under each organization). */
export const createDynamoDbBlueprintStore = (config: AwsAdaptersConfig, client = createDynamoDbClient(config)): DynamoDbBlueprintStore =>
  new DynamoDbBlueprintStore(client, config.tableName);

/** The request-rate counters in the same table (their own `RATE#<org>` partitions). */
export const createDynamoDbRateLimiter = (config: AwsAdaptersConfig, client = createDynamoDbClient(config)): DynamoDbRateLimiter =>
  new DynamoDbRateLimiter(client, config.tableName);
