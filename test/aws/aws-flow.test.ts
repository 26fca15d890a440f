/**
 * The AWS composition root and event functions against the stand-ins (DynamoDB Local, fauxqs), started once:
 * the API Lambda entry with JWT claims, the manifest worker on SQS records, the dead-letter router, the reaper, and the
 * table's stream → EventBridge (EventBridge has no stand-in: its client is mocked with aws-sdk-client-mock, the stream
 * records are DynamoDB Local's own).
 */
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, DynamoDBRecord, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAwsAdapters, type AwsAdapters } from '../../layers/src/adapters/aws/aws-adapters.ts';
import type { Compose } from '../../layers/src/compose/compose.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { reapStaleComposes } from '../../layers/src/service/reaper.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { createDeadLetterRouter } from '../../functions/aws/dead-letter-router.ts';
import { createManifestWorkerHandler } from '../../functions/manifest-worker.ts';
import { createStatusEventsHandler, statusChangeOf } from '../../functions/aws/status-events-handler.ts';
import { dynamoDbLocalMissing, standInEnvironment, startAwsStandIns, type AwsStandIns } from '../../local/aws-stand-ins.ts';
import { newCompose } from '../contract/compose-store.contract.ts';

const missing = dynamoDbLocalMissing();
const quiet = createLogger({}, { write: () => {} });
const context = { awsRequestId: 'test' } as Context;

function apiEvent(method: string, path: string, orgId: string | undefined, body?: unknown): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      ...(orgId ? { authorizer: { jwt: { claims: { org_id: orgId, sub: 'user' }, scopes: [] } } } : {}),
    },
  } as unknown as APIGatewayProxyEventV2;
}

describe.skipIf(Boolean(missing))(`AWS functions on stand-ins${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let standIns: AwsStandIns;
  let adapters: AwsAdapters;
  let deps: ServiceDeps;
  const prefix = `f${Date.now().toString(36)}-`;
  const saved = { ...process.env };

  beforeAll(async () => {
    standIns = await startAwsStandIns({ prefix, maxReceives: 2 });
    adapters = createAwsAdapters(standIns.config);
    deps = { store: adapters.store, blobs: adapters.blobs, queue: adapters.queue, log: quiet, config: { downloadUrlTtlSeconds: 60, version: 'test' } };
  });
  afterAll(async () => {
    process.env = saved;
    await adapters?.close();
    await standIns?.stop();
  });

  const sqsEvent = async (queue: string): Promise<SQSEvent> => {
    const messages = await adapters.queue.receive(queue, { maxMessages: 10, waitSeconds: 2, visibilitySeconds: 30 });
    return {
      Records: messages.map((m) => ({
        messageId: m.id,
        receiptHandle: m.receiptHandle,
        body: JSON.stringify(m.body),
        attributes: { ApproximateReceiveCount: String(m.receiveCount) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${prefix}${queue}`,
        awsRegion: 'us-east-1',
      })),
    } as unknown as SQSEvent;
  };

  it('serves the API from the Lambda entry on the AWS adapters, the organization from the JWT claim', async () => {
    Object.assign(process.env, standInEnvironment(standIns.config), { IBS_LOG_LEVEL: 'error' });
    vi.resetModules();
    const { handler } = await import('../../functions/aws/api.ts');
    const call = async (event: APIGatewayProxyEventV2) => (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
    const org = `org-${randomUUID().slice(0, 8)}`;
    expect((await call(apiEvent('GET', '/api/image-builder/v1/ready', undefined))).statusCode).toBe(200);
    expect((await call(apiEvent('GET', '/api/image-builder/v1/composes', undefined))).statusCode).toBe(401);
    const created = await call(apiEvent('POST', '/api/image-builder/v1/compose', org, { distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }] }));
    expect(created.statusCode).toBe(201);
    const { id } = JSON.parse(String(created.body)) as { id: string };
    const status = await call(apiEvent('GET', `/api/image-builder/v1/composes/${id}`, org));
    expect(JSON.parse(String(status.body))).toMatchObject({ image_status: { status: 'pending' } });
    expect((await call(apiEvent('GET', `/api/image-builder/v1/composes/${id}`, 'another-org'))).statusCode).toBe(404);
    const list = JSON.parse(String((await call(apiEvent('GET', '/api/image-builder/v1/composes', org))).body)) as { meta: { count: number } };
    expect(list.meta.count).toBe(1);

    // The manifest job it sent, through the manifest worker: manifest in S3, build job on the build queue, compose queued.
    const worker = createManifestWorkerHandler(deps);
    const event = await sqsEvent('manifest');
    expect(event.Records.map((r) => JSON.parse(r.body).composeId)).toContain(id);
    expect((await worker(event, context)).batchItemFailures).toEqual([]);
    const compose = await adapters.store.get(org, id);
    expect(compose).toMatchObject({ state: 'queued', manifestKey: `manifests/${org}/${id}/manifest.json` });
    expect(await adapters.blobs.head(compose!.manifestKey!)).toMatchObject({ contentType: 'application/json' });
    const [build] = await adapters.queue.receive('build-x86_64', { waitSeconds: 2, visibilitySeconds: 30 });
    expect(build.body).toEqual({ schema: 1, kind: 'build', orgId: org, composeId: id });
    await adapters.queue.delete('build-x86_64', build.receiptHandle);
  });

  it('fails the compose of a dead-lettered build job with the reason, routed by the queue it died in', async () => {
    const compose = newCompose(`org-${randomUUID().slice(0, 8)}`, { state: 'building', runnerId: 'r1', attempt: 2 });
    await adapters.store.create(compose);
    await adapters.queue.send('build-x86_64-dlq', { kind: 'build', orgId: compose.orgId, composeId: compose.id });
    const router = createDeadLetterRouter(deps, prefix);
    const event = await sqsEvent('build-x86_64-dlq');
    expect((await router(event, context)).batchItemFailures).toEqual([]);
    expect(await adapters.store.get(compose.orgId, compose.id)).toMatchObject({ state: 'failure', result: { error: { id: 8, reason: expect.stringMatching(/runner stopped heartbeating/) } } });
    // A runner that still heartbeats is building it (a duplicate delivery burned the receives): left alone.
    const alive = newCompose(compose.orgId, { state: 'building', runnerId: 'r2', attempt: 1, heartbeatAt: new Date().toISOString() });
    await adapters.store.create(alive);
    await adapters.queue.send('build-x86_64-dlq', { kind: 'build', orgId: alive.orgId, composeId: alive.id });
    const aliveEvent = await sqsEvent('build-x86_64-dlq');
    expect(aliveEvent.Records.map((r) => JSON.parse(r.body).composeId)).toEqual([alive.id]);
    expect((await router(aliveEvent, context)).batchItemFailures).toEqual([]);
    expect(await adapters.store.get(alive.orgId, alive.id)).toMatchObject({ state: 'building', runnerId: 'r2' });
    const stranger = { ...event.Records[0], eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:elsewhere' };
    expect((await router({ Records: [stranger] }, context)).batchItemFailures).toEqual([{ itemIdentifier: stranger.messageId }]);
  });

  it('reaps lost builds on DynamoDB and SQS: requeues with a new job, fails after the last attempt, times out waiting ones', async () => {
    const old = '2020-01-01T00:00:00.000Z';
    const org = `org-${randomUUID().slice(0, 8)}`;
    const retry = newCompose(org, { state: 'building', runnerId: 'r1', attempt: 1, jobMessageId: 'm1', heartbeatAt: old });
    const last = newCompose(org, { state: 'uploading', runnerId: 'r2', attempt: 3, jobMessageId: 'm2', heartbeatAt: old });
    const alive = newCompose(org, { state: 'building', runnerId: 'r3', attempt: 1, heartbeatAt: new Date().toISOString() });
    const waiting = newCompose(org, { state: 'queued', createdAt: old });
    for (const c of [retry, last, alive, waiting]) await adapters.store.create(c);
    const report = await reapStaleComposes(deps, { staleAfterSeconds: 900, maxAttempts: 3, maxRequeues: 5, queuedTimeoutSeconds: 3600, limit: 100 });
    expect(report.requeued).toContain(retry.id);
    expect(report.failed).toEqual(expect.arrayContaining([last.id, waiting.id]));
    expect([...report.requeued, ...report.failed]).not.toContain(alive.id);
    expect(await adapters.store.get(org, retry.id)).toMatchObject({ state: 'queued', requeueReason: expect.stringMatching(/r1/) });
    expect(await adapters.store.get(org, last.id)).toMatchObject({ state: 'failure', result: { error: { id: 8 } } });
    expect(await adapters.store.get(org, alive.id)).toMatchObject({ state: 'building' });
    const jobs = await adapters.queue.receive('build-x86_64', { maxMessages: 10, waitSeconds: 2 });
    expect(jobs.map((j) => j.body)).toContainEqual({ schema: 1, kind: 'build', orgId: org, composeId: retry.id });
    // A second run finds nothing more to do for these composes.
    const again = await reapStaleComposes(deps, { staleAfterSeconds: 900, maxAttempts: 3, maxRequeues: 5, queuedTimeoutSeconds: 3600, limit: 100 });
    expect([...again.requeued, ...again.failed]).not.toEqual(expect.arrayContaining([retry.id]));
  });

  it('turns the table stream into ComposeStatusChanged events (EventBridge mocked), skipping progress-only writes', async () => {
    const compose: Compose = newCompose(`org-${randomUUID().slice(0, 8)}`);
    await adapters.store.create(compose);
    await adapters.store.transition(compose.orgId, compose.id, { from: ['pending'], to: 'queued' });
    await adapters.store.transition(compose.orgId, compose.id, { from: ['queued'], to: 'building', set: { runnerId: 'r1', attempt: 1 } });
    await adapters.store.patch(compose.orgId, compose.id, { progress: { done: 1, total: 2 } });
    await adapters.store.transition(compose.orgId, compose.id, {
      from: ['building'],
      to: 'failure',
      set: { result: { success: false, error: { id: 4, reason: 'stage org.osbuild.rpm failed' } } },
    });

    const records = await readStream(adapters, standIns.config.tableName, compose.id);
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'MODIFY', 'MODIFY', 'MODIFY']);
    expect(records.map((r) => statusChangeOf(r)?.state ?? null)).toEqual(['pending', 'queued', 'building', null, 'failure']);

    const eventBridge = mockClient(EventBridgeClient);
    try {
      eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
      const handler = createStatusEventsHandler(new EventBridgeClient({ region: 'us-east-1' }), 'ibs-bus', quiet);
      expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] });
      const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
      expect(entries.map((e) => [e.Source, e.DetailType, e.EventBusName])).toEqual(Array(4).fill(['image-builder-serverless', 'ComposeStatusChanged', 'ibs-bus']));
      const details = entries.map((e) => JSON.parse(e.Detail ?? '{}'));
      expect(details.map((d) => [d.previousState ?? null, d.state, d.status])).toEqual([
        [null, 'pending', 'pending'],
        ['pending', 'queued', 'pending'],
        ['queued', 'building', 'building'],
        ['building', 'failure', 'failure'],
      ]);
      expect(details[3]).toMatchObject({ orgId: compose.orgId, composeId: compose.id, architecture: 'x86_64', error: { id: 4 } });

      // A refused entry: the stream retries from that record.
      eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure' }] });
      expect(await handler({ Records: records })).toEqual({ batchItemFailures: [{ itemIdentifier: records[1].dynamodb?.SequenceNumber }] });
    } finally {
      eventBridge.restore();
    }
  });
});

/** This compose's records from the table's stream, read from DynamoDB Local like the Lambda event source would. */
async function readStream(adapters: AwsAdapters, tableName: string, composeId: string): Promise<DynamoDBRecord[]> {
  const { Table } = await adapters.clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
  const client = new DynamoDBStreamsClient({
    region: await adapters.clients.dynamodb.config.region(),
    endpoint: await adapters.clients.dynamodb.config.endpoint?.().then((e) => `${e.protocol}//${e.hostname}:${e.port}`),
    credentials: await adapters.clients.dynamodb.config.credentials(),
  });
  try {
    const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamArn: Table?.LatestStreamArn }));
    const records: DynamoDBRecord[] = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      let { ShardIterator: iterator } = await client.send(
        new GetShardIteratorCommand({ StreamArn: Table?.LatestStreamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      for (let i = 0; iterator && i < 50; i++) {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
        records.push(...((page.Records ?? []) as unknown as DynamoDBRecord[]));
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return records.filter((r) => r.dynamodb?.Keys?.sk?.S === `COMPOSE#${composeId}`);
  } finally {
    client.destroy();
  }
}
