/**
 * The Lambda composition root wires only the ports a function names, and the Lambda config reader names the variable
 * of every bad value.
 */
import { describe, expect, it } from 'vitest';
import { readDeadLetterOptions, readFleetScalerConfig, readQueueNamePrefix, readReaperOptions, readServiceConfig } from '../../functions/aws/config.ts';
import { createLambdaDeps } from '../../functions/aws/deps.ts';
import { createDynamoDbComposeStore } from '../../layers/src/adapters/aws/dynamodb-compose-store-factory.ts';
import { DynamoDbComposeStore } from '../../layers/src/adapters/aws/dynamodb-compose-store.ts';

const ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_LAMBDA_FUNCTION_NAME: 'ibs-test-deadLetter',
  IBS_TABLE: 'ibs-test-composes',
  IBS_BUCKET: 'ibs-test-artifacts',
  IBS_QUEUE_URL_PREFIX: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ibs-test-',
};

describe('Lambda deps', () => {
  it('wires the named ports and answers any call to another with the function and port it lacks', async () => {
    const deps = createLambdaDeps({ store: createDynamoDbComposeStore }, ENV);
    expect(deps.store).toBeInstanceOf(DynamoDbComposeStore);
    await expect(deps.blobs.get('manifests/x')).rejects.toThrow('ibs-test-deadLetter has no blob store: get is not available here');
    await expect(deps.queue.send('build-x86_64', {})).rejects.toThrow('ibs-test-deadLetter has no job queue: send is not available here');
  });

  it('reads every setting serverless.yml gives the functions', () => {
    const env = {
      ...ENV,
      IBS_DOWNLOAD_URL_TTL: '600',
      IBS_STALE_AFTER_SECONDS: '300',
      IBS_MAX_RECEIVES: '5',
      IBS_RUNNER_STALE_AFTER_SECONDS: '120',
      IBS_RUNNER_GROUP_PREFIX: 'ibs-test-runners-',
      IBS_ARCHITECTURES: 'aarch64',
      IBS_BUILDS_PER_INSTANCE: '2',
    };
    expect(readServiceConfig(env).downloadUrlTtlSeconds).toBe(600);
    expect(readReaperOptions(env)).toMatchObject({ staleAfterSeconds: 300, maxAttempts: 5 });
    expect(readDeadLetterOptions(env)).toEqual({ runnerStaleAfterSeconds: 120 });
    expect(readQueueNamePrefix(env)).toBe('ibs-test-');
    expect(readFleetScalerConfig(env)).toEqual({ runnerGroupPrefix: 'ibs-test-runners-', architectures: ['aarch64'], buildsPerInstance: 2 });
  });

  it('names the variable of a bad value', () => {
    expect(() => readReaperOptions({ IBS_MAX_RECEIVES: 'three' })).toThrow(/^IBS_MAX_RECEIVES must be a whole number/);
    expect(() => readDeadLetterOptions({ IBS_RUNNER_STALE_AFTER_SECONDS: '0' })).toThrow(/^IBS_RUNNER_STALE_AFTER_SECONDS must be a number from 1/);
    expect(() => readFleetScalerConfig({ IBS_BUILDS_PER_INSTANCE: '1.5' })).toThrow(/^IBS_BUILDS_PER_INSTANCE/);
    expect(() => createLambdaDeps({ store: createDynamoDbComposeStore }, { AWS_REGION: 'eu-west-1' })).toThrow(/^IBS_TABLE is not set/);
    // A function without the bucket needs no IBS_BUCKET.
    expect(() => createLambdaDeps({ store: createDynamoDbComposeStore }, { AWS_REGION: 'eu-west-1', IBS_TABLE: 't' })).not.toThrow();
  });
});
