/**
 * Lambda entry: compose table stream → EventBridge `ComposeStatusChanged` events; a finished composer v2 compose's
 * Koji build is settled here (claimed once in the compose store), not in a status request.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createDynamoDbComposeStore } from '../../layers/src/adapters/aws/dynamodb-compose-store-factory.ts';
import { createS3BlobStore } from '../../layers/src/adapters/aws/s3-blob-store.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { settleKojiBuildOf } from '../composer-v2/koji/koji-builds.ts';
import { KOJI_SETTLE_WAIT_SECONDS } from '../composer-v2/koji/koji-settle-lease.ts';
import { readEventBusName, readFunctionName, readLogLevel } from './config.ts';
import { createLambdaDeps } from './deps.ts';
import { createStatusEventsHandler } from './status-events-handler.ts';

const deps = createLambdaDeps({ store: createDynamoDbComposeStore, blobs: createS3BlobStore });

export const handler = createStatusEventsHandler(
  new EventBridgeClient({}),
  readEventBusName(process.env),
  createLogger({ service: readFunctionName(process.env, 'ibs-status-events') }, { level: readLogLevel(process.env) }),
  (change) => settleKojiBuildOf(deps, change.orgId, change.composeId, { waitSeconds: KOJI_SETTLE_WAIT_SECONDS }),
);
