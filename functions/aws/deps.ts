/**
 * The AWS composition root: every Lambda entry in this directory gets its ServiceDeps here, built once per execution
 * environment (module scope survives warm invocations). Only the AWS adapters are imported, so no bundle contains the
 * embedded SQLite adapters.
 */
import { createAwsAdapters, createS3Client, type AwsAdapters } from '../../layers/src/adapters/aws/aws-adapters.ts';
import { S3BlobStore } from '../../layers/src/adapters/aws/s3-blob-store.ts';
import { readAwsConfig } from '../../layers/src/adapters/aws/aws-config.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { SERVICE_VERSION } from '../../layers/src/version.ts';
import { envNumber } from './env.ts';

export type AwsServiceDeps = ServiceDeps & { adapters: AwsAdapters };

let cached: AwsServiceDeps | undefined;

export function createAwsServiceDeps(env: NodeJS.ProcessEnv = process.env): AwsServiceDeps {
  const adapters = createAwsAdapters(readAwsConfig(env));
  return {
    store: adapters.store,
    blobs: adapters.blobs,
    queue: adapters.queue,
    adapters,
    log: createLogger({ service: env.AWS_LAMBDA_FUNCTION_NAME ?? 'ibs-aws' }),
    config: {
      downloadUrlTtlSeconds: envNumber('IBS_DOWNLOAD_URL_TTL', 3600, env),
      version: SERVICE_VERSION,
      ...(env.IBS_BUILD_COMMIT ? { buildCommit: env.IBS_BUILD_COMMIT } : {}),
    },
  };
}

/** Stands in for a port a function has no permission to use: any call is a bug, and says which. */
function unavailable<T extends object>(port: string, functionName: string): T {
  return new Proxy({} as T, {
    get: (_target, method) => () => Promise.reject(new Error(`${functionName} has no ${port}: ${String(method)} is not available here`)),
  });
}

/**
 * Deps of the package API function: only the bucket (repository index cache). Its routes never touch composes or
 * queues, its role has no such permissions, and leaving the DynamoDB and SQS clients out keeps its bundle small.
 */
export function createAwsPackageDeps(env: NodeJS.ProcessEnv = process.env): ServiceDeps {
  const config = readAwsConfig(env);
  const name = env.AWS_LAMBDA_FUNCTION_NAME ?? 'ibs-api-packages';
  return {
    store: unavailable<ServiceDeps['store']>('compose store', name),
    queue: unavailable<ServiceDeps['queue']>('job queue', name),
    blobs: new S3BlobStore(createS3Client(config), { bucket: config.bucketName }),
    log: createLogger({ service: name }),
    config: { downloadUrlTtlSeconds: envNumber('IBS_DOWNLOAD_URL_TTL', 3600, env), version: SERVICE_VERSION },
  };
}

/** The deps of this execution environment (created on first use). */
export function awsServiceDeps(): AwsServiceDeps {
  cached ??= createAwsServiceDeps();
  return cached;
}

/** The queue name prefix (`ibs-<stage>-`), the last path segment of IBS_QUEUE_URL_PREFIX. */
export const queueNamePrefix = (queueUrlPrefix: string): string => queueUrlPrefix.slice(queueUrlPrefix.lastIndexOf('/') + 1);
