/** Lambda entry: compose table stream → EventBridge `ComposeStatusChanged` events. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createLogger } from '../../layers/src/log/logger.ts';
import { createStatusEventsHandler } from './status-events-handler.ts';

export const handler = createStatusEventsHandler(
  new EventBridgeClient({}),
  process.env.IBS_EVENT_BUS ?? 'default',
  createLogger({ service: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'ibs-status-events' }),
);
