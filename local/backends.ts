/**
 * The storage behind a local stack, chosen by IBS_BACKEND: `embedded` (SQLite and the filesystem under the data
 * directory; data survives restarts) or `aws` (the production DynamoDB/S3/SQS adapters against in-memory stand-ins).
 * Everything above it — handlers, queue workers, runners — is the same either way.
 */
import type { AwsAdaptersConfig } from '../layers/src/adapters/aws/aws-config.ts';
import type { FsBlobStore } from '../layers/src/adapters/embedded/fs-blob-store.ts';
import type { BlobStore } from '../layers/src/ports/blob-store.ts';
import type { ComposeStore } from '../layers/src/ports/compose-store.ts';
import type { BlueprintStore } from '../layers/src/ports/blueprint-store.ts';
import type { JobQueue } from '../layers/src/ports/job-queue.ts';
import type { LocalBackendKind } from './config.ts';
import { createEmbeddedAdapters } from '../layers/src/adapters/embedded/embedded-adapters.ts';

export interface LocalBackend {
  kind: LocalBackendKind;
  store: ComposeStore;
  blueprints: BlueprintStore;
  blobs: BlobStore;
  queue: JobQueue;
  /** The blob store the gateway serves signed `/_blobs/` downloads from (embedded only; S3 presigns its own URLs). */
  downloads?: FsBlobStore;
  /** Tells the blob store the API's URL once the server listens (port 0 in tests). */
  setPublicUrl(url: string): void;
  /** Environment the runner processes need to reach the same storage. */
  runnerEnv(publicUrl: string): Record<string, string>;
  /** The stand-ins' configuration (aws only): tests and tools build their own clients from it. */
  awsConfig?: AwsAdaptersConfig;
  /** Where this backend keeps data on this machine's disk (embedded only). */
  dataDir?: string;
  /** One line for the start banner. */
  describe(): string;
  close(): Promise<void>;
}

export async function openLocalBackend(kind: LocalBackendKind, options: { dataDir: string; maxReceives: number }): Promise<LocalBackend> {
  return kind === 'aws' ? openAwsBackend(options.maxReceives) : openEmbeddedBackend(options.dataDir, options.maxReceives);
}

function openEmbeddedBackend(dataDir: string, maxReceives: number): LocalBackend {
  const adapters = createEmbeddedAdapters({ dataDir, publicBaseUrl: 'http://127.0.0.1', maxReceives });
  return {
    kind: 'embedded',
    store: adapters.store,
    blueprints: adapters.blueprints,
    blobs: adapters.blobs,
    queue: adapters.queue,
    downloads: adapters.blobs,
    dataDir,
    setPublicUrl: (url) => adapters.blobs.setPublicBaseUrl(url),
    runnerEnv: (publicUrl) => ({ IBS_BACKEND: 'embedded', IBS_DATA_DIR: dataDir, IBS_PUBLIC_URL: publicUrl, IBS_MAX_RECEIVES: String(maxReceives) }),
    describe: () => `data in ${dataDir}`,
    close: async () => {
      adapters.db.close();
    },
  };
}

async function openAwsBackend(maxReceives: number): Promise<LocalBackend> {
  // Imported lazily: the embedded backend must not load the AWS SDK or start java.
  const { startAwsStandIns, standInEnvironment } = await import('./aws-stand-ins.ts');
  const { createAwsAdapters } = await import('../layers/src/adapters/aws/aws-adapters.ts');
  const standIns = await startAwsStandIns({ maxReceives });
  const adapters = createAwsAdapters(standIns.config);
  const env = standInEnvironment(standIns.config);
  return {
    kind: 'aws',
    store: adapters.store,
    blueprints: adapters.blueprints,
    blobs: adapters.blobs,
    queue: adapters.queue,
    setPublicUrl: () => {},
    awsConfig: standIns.config,
    // No EC2 here: no instance metadata to poll, no Auto Scaling group to protect the instance in.
    runnerEnv: () => ({ ...env, ...standIns.amiEnv, IBS_BACKEND: 'aws', IBS_IMDS_ENDPOINT: 'off' }),
    describe: () =>
      `on the AWS adapters: DynamoDB Local ${env.AWS_ENDPOINT_URL_DYNAMODB} (table ${env.IBS_TABLE}), ` +
      `fauxqs S3+SQS ${env.AWS_ENDPOINT_URL_S3} (bucket ${env.IBS_BUCKET}); in memory: nothing is kept after it stops`,
    close: async () => {
      await adapters.close();
      await standIns.stop();
    },
  };
}
