/** Lambda entry: compose table stream → EventBridge `ComposeStatusChanged` events. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createLogger } from '../../layers/src/log/logger.ts';
import { readEventBusName, readFunctionName, readLogLevel } from './config.ts';
import { createStatusEventsHandler } from './status-events-handler.ts';

export const handler = createStatusEventsHandler(
  new EventBridgeClient({}),
  readEventBusName(process.env),
  createLogger({ service: readFunctionName(process.env, 'ibs-status-events') }, { level: readLogLevel(process.env) }),
);
