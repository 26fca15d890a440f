/**
 * Issue 16: on AWS the Koji import runs in the status-events function: its `onFinished` hook is called once per record
 * that moves a compose to a final state (not for other changes), after the events are published; a failing hook
 * reports that record so the stream retries from it.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createStatusEventsHandler, type ComposeStatusChanged } from '../../functions/aws/status-events-handler.ts';
import { createLogger } from '../../layers/src/log/logger.ts';

const quiet = createLogger({}, { write: () => {} });
const published: unknown[] = [];
const client = { send: async (command: { input: { Entries: unknown[] } }) => (published.push(...command.input.Entries), { Entries: [] }) } as unknown as EventBridgeClient;

const image = (state: string) => marshall({ id: 'c1', orgId: 'o1', state, spec: { distribution: 'd', architecture: 'x86_64', imageType: 'tar' }, updatedAt: 'now' });
const record = (seq: string, before: string, after: string): DynamoDBRecord => ({
  eventName: 'MODIFY',
  dynamodb: { SequenceNumber: seq, OldImage: image(before) as never, NewImage: image(after) as never },
});

describe('status-events onFinished (the Koji import on AWS)', () => {
  it('runs for a change to a final state only, after publishing; a failure retries from that record', async () => {
    const seen: ComposeStatusChanged[] = [];
    const handler = createStatusEventsHandler(client, 'bus', quiet, async (change) => {
      expect(published.length).toBeGreaterThan(0);
      seen.push(change);
    });
    const records = [record('1', 'queued', 'building'), record('2', 'building', 'building'), record('3', 'uploading', 'success')];
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] });
    expect(seen.map((c) => [c.composeId, c.state])).toEqual([['c1', 'success']]);

    const failing = createStatusEventsHandler(client, 'bus', quiet, async () => {
      throw new Error('hub down');
    });
    expect(await failing({ Records: records })).toEqual({ batchItemFailures: [{ itemIdentifier: '3' }] });
  });
});
