/**
 * Lambda entry (schedule): fails or requeues builds whose runner stopped heartbeating, fails composes that waited too
 * long. The compose store and the build queues only.
 */
import { createDynamoDbComposeStore } from '../../layers/src/adapters/aws/dynamodb-compose-store-factory.ts';
import { createSqsJobQueue } from '../../layers/src/adapters/aws/sqs-job-queue.ts';
import { reapStaleComposes } from '../../layers/src/service/reaper.ts';
import { readReaperOptions } from './config.ts';
import { createLambdaDeps } from './deps.ts';

const deps = createLambdaDeps({ store: createDynamoDbComposeStore, queue: createSqsJobQueue });
const options = readReaperOptions(process.env);

export const handler = async () => reapStaleComposes(deps, options);
