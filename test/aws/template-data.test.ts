/**
 * The template of `npx osls package` (see test/aws/template.test.ts): every queue has a dead-letter queue with a
 * consumer, the buckets are private and encrypted with lifecycle rules, the table has the adapter's keys, indexes and a
 * stream, users' data outlives the stack (retained, recoverable), and dead-letter queues and function errors raise alarms.
 */
import { describe, expect, it } from 'vitest';
import { COMPOSE_TABLE_SHAPE } from '../../layers/src/adapters/aws/provision.ts';
import { evaluate, ofTypeIn, usePackagedTemplates, refOf, type Resource, type Template } from './template-fixture.ts';

let template: Template;
let withParams: Template;
const ofType = (type: string) => ofTypeIn(template, type);

usePackagedTemplates((packaged) => ({ template, withParams } = packaged));

describe('serverless.yml → CloudFormation: data: queues, buckets, table, retention and alarms', () => {
  it('keeps the deployment bucket private like the artifact bucket: public access blocked, owner enforced, encrypted, TLS only', () => {
    const bucket = template.Resources.ServerlessDeploymentBucket!;
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual(template.Resources.ArtifactBucket!.Properties.PublicAccessBlockConfiguration);
    expect(Object.values(bucket.Properties.PublicAccessBlockConfiguration)).toEqual([true, true, true, true]);
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    const [policy] = ofType('AWS::S3::BucketPolicy').filter(([, p]) => refOf(p.Properties.Bucket) === 'ServerlessDeploymentBucket');
    expect(policy?.[1].Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': false } } }),
    ]);
  });

  it('gives every queue a dead-letter queue, and every dead-letter queue a consumer', () => {
    const queues = ofType('AWS::SQS::Queue');
    const deadLetters = queues.filter(([, q]) => String(q.Properties.QueueName).endsWith('-dlq'));
    const work = queues.filter(([, q]) => !String(q.Properties.QueueName).endsWith('-dlq'));
    expect(work.map(([, q]) => String(q.Properties.QueueName).replace('ibs-dev-', '')).sort()).toEqual(['build-aarch64', 'build-x86_64', 'manifest']);
    for (const [id, queue] of work) {
      const target = queue.Properties.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0];
      expect(target, `${id} has no dead-letter queue`).toBeDefined();
      expect(template.Resources[target].Properties.QueueName).toBe(`${queue.Properties.QueueName}-dlq`);
      expect(Number(queue.Properties.RedrivePolicy.maxReceiveCount)).toBeGreaterThan(0);
    }
    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    for (const [id] of deadLetters) {
      const consumer = mappings.find((m) => m.EventSourceArn?.['Fn::GetAtt']?.[0] === id);
      expect(refOf(consumer?.FunctionName), `${id} has no consumer`).toBe('DeadLetterLambdaFunction');
    }
    const manifest = mappings.find((m) => m.EventSourceArn?.['Fn::GetAtt']?.[0] === 'ManifestQueue');
    expect(refOf(manifest?.FunctionName)).toBe('ManifestWorkerLambdaFunction');
    expect(manifest?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('keeps the bucket private and encrypted, with lifecycle rules for every prefix the services write (user repositories\' depsolve indexes too)', () => {
    const [[, bucket]] = ofType('AWS::S3::Bucket').filter(([id]) => id === 'ArtifactBucket');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(/AES256|aws:kms/);
    expect(bucket.Properties.AccessControl ?? 'Private').toBe('Private');
    const rules = bucket.Properties.LifecycleConfiguration.Rules as { Prefix?: string; ExpirationInDays?: unknown; Status: string }[];
    for (const prefix of ['logs/', 'manifests/', 'artifacts/', 'depsolve-index/']) {
      const rule = rules.find((r) => r.Prefix === prefix);
      expect(rule?.Status).toBe('Enabled');
      expect(Number(rule?.ExpirationInDays)).toBeGreaterThan(0);
    }
    // User-supplied repositories' indexes (IndexStore's `user/` prefix) expire sooner than the distributions'.
    const days = (prefix: string) => Number(rules.find((r) => r.Prefix === prefix && r.Status === 'Enabled')?.ExpirationInDays);
    expect(days('depsolve-index/user/')).toBeGreaterThan(0);
    expect(days('depsolve-index/user/')).toBeLessThan(days('depsolve-index/'));
    for (const [id, policy] of ofType('AWS::S3::BucketPolicy')) {
      // The web UI bucket's one Allow, CloudFront's read, is checked in test/web/web-ui-template.test.ts.
      const statements = policy.Properties.PolicyDocument.Statement.filter((s: { Sid?: string }) => id !== 'WebUiBucketPolicy' || s.Sid !== 'CloudFrontReadsTheUi');
      for (const statement of statements) expect(statement.Effect).toBe('Deny');
    }
  });

  it('creates the table with the adapter keys, indexes and a stream to the status-events function', () => {
    const table = template.Resources.ComposeTable.Properties;
    expect(table.KeySchema).toEqual(COMPOSE_TABLE_SHAPE.KeySchema);
    expect(table.AttributeDefinitions).toEqual(COMPOSE_TABLE_SHAPE.AttributeDefinitions);
    expect(table.GlobalSecondaryIndexes).toEqual(COMPOSE_TABLE_SHAPE.GlobalSecondaryIndexes);
    expect(table.StreamSpecification.StreamViewType).toBe('NEW_AND_OLD_IMAGES');
    const stream = ofType('AWS::Lambda::EventSourceMapping').find(([, m]) => m.Properties.EventSourceArn?.['Fn::GetAtt']?.[1] === 'StreamArn');
    expect(refOf(stream?.[1].Properties.FunctionName)).toBe('StatusEventsLambdaFunction');
  });

  it('keeps users\' data when the stack is removed or replaces a resource: table and bucket retained, point-in-time recovery, versions', () => {
    // The bucket's policy too: a retained bucket keeps refusing plain HTTP.
    for (const id of ['ComposeTable', 'ArtifactBucket', 'ArtifactBucketPolicy']) {
      const resource = template.Resources[id] as Resource & { DeletionPolicy?: string; UpdateReplacePolicy?: string };
      expect([resource.DeletionPolicy, resource.UpdateReplacePolicy], id).toEqual(['Retain', 'Retain']);
    }
    expect(template.Resources.ComposeTable!.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(template.Resources.ComposeTable!.Properties.DeletionProtectionEnabled).toBe(true);
    const bucket = template.Resources.ArtifactBucket!.Properties;
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    // Old versions and the delete markers expirations leave do not pile up.
    const oldVersions = bucket.LifecycleConfiguration.Rules.find((r: any) => r.NoncurrentVersionExpiration);
    expect(oldVersions).toMatchObject({ Status: 'Enabled', Prefix: '', ExpiredObjectDeleteMarker: true });
    expect(Number(oldVersions.NoncurrentVersionExpiration.NoncurrentDays)).toBeGreaterThan(0);
  });

  it('alarms to one SNS topic on every dead-letter queue holding a message and on every function\'s errors; email optional', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const dimension = (alarm: any) => alarm.Dimensions?.[0].Value;
    const queueOf = (query: any) => query.MetricStat?.Metric.Dimensions[0].Value['Fn::GetAtt']?.join('.');
    for (const [id, queue] of ofType('AWS::SQS::Queue').filter(([, q]) => String(q.Properties.QueueName).endsWith('-dlq'))) {
      const alarm = alarms.find((a) => a.Metrics?.some((m: any) => queueOf(m) === `${id}.QueueName`))!;
      expect(alarm, `${queue.Properties.QueueName} has no alarm`).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
      // Depth > 0, plus every message received from it: the deadLetter function drains a queue faster than SQS samples
      // its depth (once a minute), and keeps a message it fails on in flight.
      const stats = Object.fromEntries(alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, [m.MetricStat.Metric.MetricName, m.MetricStat.Stat, queueOf(m)]]));
      expect(stats).toEqual({
        visible: ['ApproximateNumberOfMessagesVisible', 'Maximum', `${id}.QueueName`],
        received: ['NumberOfMessagesReceived', 'Sum', `${id}.QueueName`],
      });
      expect(alarm.Metrics.filter((m: any) => m.ReturnData)).toEqual([expect.objectContaining({ Expression: 'visible + received' })]);
    }
    for (const [id] of ofType('AWS::Lambda::Function')) {
      const alarm = alarms.find((a) => a.Namespace === 'AWS/Lambda' && refOf(dimension(a)) === id);
      expect(alarm, `${id} has no errors alarm`).toMatchObject({ MetricName: 'Errors', Statistic: 'Sum', ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
    }
    expect(alarms).toHaveLength(ofType('AWS::Lambda::Function').length + 3);
    for (const alarm of alarms) expect(alarm.AlarmActions.map(refOf), alarm.AlarmName).toEqual(['AlarmTopic']);
    expect(template.Resources.AlarmTopic!.Type).toBe('AWS::SNS::Topic');
    expect(template.Outputs.AlarmTopicArn).toBeDefined();
    // Subscribed only when an address is given (`--param="alarmEmail=..."`).
    const [[, subscription]] = ofType('AWS::SNS::Subscription');
    expect(evaluate(template, template.Conditions?.[subscription.Condition!])).toBe(false);
    expect(refOf(subscription.Properties.TopicArn)).toBe('AlarmTopic');
    expect(evaluate(withParams, withParams.Conditions?.[subscription.Condition!])).toBe(true);
    expect(withParams.Resources.AlarmEmailSubscription!.Properties).toMatchObject({ Protocol: 'email', Endpoint: 'ops@example.com' });
  });
});
