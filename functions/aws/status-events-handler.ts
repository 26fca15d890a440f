import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { imageStatusOf } from '../../layers/src/api/present-compose.ts';
import type { Compose } from '../../layers/src/compose/compose.ts';
import type { Logger } from '../../layers/src/log/logger.ts';

export const EVENT_SOURCE = 'image-builder-serverless';
export const DETAIL_TYPE = 'ComposeStatusChanged';
const FINAL_STATES: ReadonlySet<string> = new Set(['success', 'failure', 'cancelled']);

/** The detail of a ComposeStatusChanged event (documented in docs/aws.md). */
export interface ComposeStatusChanged {
  orgId: string;
  composeId: string;
  /** Internal state (pending, queued, building, uploading, success, failure, cancelled). */
  state: string;
  previousState?: string;
  /** Image Builder `image_status.status`. */
  status: string;
  distribution: string;
  architecture: string;
  imageType: string;
  error?: { id: number; reason: string };
  at: string;
}

const imageOf = (record: DynamoDBRecord, which: 'NewImage' | 'OldImage'): Compose | undefined => {
  const image = record.dynamodb?.[which];
  return image ? (unmarshall(image as Record<string, AttributeValue>) as Compose) : undefined;
};

/** The event a stream record stands for: only inserts and state changes are status changes (heartbeats are not). */
export function statusChangeOf(record: DynamoDBRecord): ComposeStatusChanged | undefined {
  if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') return undefined;
  const now = imageOf(record, 'NewImage');
  const before = imageOf(record, 'OldImage');
  if (!now?.state || !now.id) return undefined;
  if (before && before.state === now.state) {
    // Progress, heartbeats, cancel requests: not status changes. building → building is a takeover (a new owner): it is.
    const takeover = now.state === 'building' && (before.runnerId !== now.runnerId || before.attempt !== now.attempt);
    if (!takeover) return undefined;
  }
  const error = now.result?.error;
  return {
    orgId: now.orgId,
    composeId: now.id,
    state: now.state,
    ...(before ? { previousState: before.state } : {}),
    status: imageStatusOf(now),
    distribution: now.spec?.distribution,
    architecture: now.spec?.architecture,
    imageType: now.spec?.imageType,
    ...(error ? { error: { id: error.id, reason: error.reason } } : {}),
    at: now.updatedAt,
  };
}

/**
 * DynamoDB stream → EventBridge: one `ComposeStatusChanged` event per state change, in batches of 10 (the PutEvents
 * limit). Records whose event was not accepted are reported as batch item failures, so the stream retries from them.
 */
export function createStatusEventsHandler(
  client: EventBridgeClient,
  eventBusName: string,
  log: Logger,
  /** Work on a compose that just finished (the Koji import of composer v2 composes); a throw retries the batch. */
  onFinished?: (change: ComposeStatusChanged) => Promise<void>,
) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const pending: { sequence: string; entry: PutEventsRequestEntry; change: ComposeStatusChanged }[] = [];
    for (const record of event.Records) {
      const change = statusChangeOf(record);
      if (!change) continue;
      pending.push({
        sequence: record.dynamodb?.SequenceNumber ?? '',
        change,
        entry: { EventBusName: eventBusName, Source: EVENT_SOURCE, DetailType: DETAIL_TYPE, Detail: JSON.stringify(change), Resources: [] },
      });
    }
    for (let i = 0; i < pending.length; i += 10) {
      const batch = pending.slice(i, i + 10);
      let failedAt = -1;
      try {
        const result = await client.send(new PutEventsCommand({ Entries: batch.map((b) => b.entry) }));
        failedAt = (result.Entries ?? []).findIndex((e) => e.ErrorCode);
        if (failedAt >= 0) log.warn('EventBridge refused a status event', { error: result.Entries?.[failedAt] });
      } catch (error) {
        log.error('PutEvents failed', { error });
        failedAt = 0;
      }
      // A stream is ordered: report the first failed record; Lambda retries from it (later events are sent again).
      if (failedAt >= 0) return { batchItemFailures: [{ itemIdentifier: batch[failedAt].sequence }] };
    }
    for (const { sequence, change } of pending) {
      if (!onFinished || !FINAL_STATES.has(change.state)) continue;
      try {
        await onFinished(change);
      } catch (error) {
        log.error('work on a finished compose failed', { composeId: change.composeId, error });
        return { batchItemFailures: [{ itemIdentifier: sequence }] };
      }
    }
    return { batchItemFailures: [] };
  };
}
