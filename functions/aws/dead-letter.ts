/**
 * Lambda entry: every dead-letter queue (manifest, build-<arch>) fails the composes of the jobs that died there. Only
 * the compose store: the event source mapping receives and deletes the messages, so the function calls no SQS API.
 */
import { createDynamoDbComposeStore } from '../../layers/src/adapters/aws/dynamodb-compose-store-factory.ts';
import { readDeadLetterOptions, readQueueNamePrefix } from './config.ts';
import { createDeadLetterRouter } from './dead-letter-router.ts';
import { createLambdaDeps } from './deps.ts';

const deps = createLambdaDeps({ store: createDynamoDbComposeStore });
export const handler = createDeadLetterRouter(deps, readQueueNamePrefix(process.env), readDeadLetterOptions(process.env));
