import type { BlobStore } from '../../layers/src/ports/blob-store.ts';
import type { ComposeStore } from '../../layers/src/ports/compose-store.ts';
import type { JobQueue } from '../../layers/src/ports/job-queue.ts';
import type { RunnerConfig } from './config.ts';
import { noInstanceProtection, type InstanceProtection } from './instance-protection.ts';

/** The runner's composition root: which adapters implement the ports on this host. */
export interface RunnerAdapters {
  store: ComposeStore;
  blobs: BlobStore;
  queue: JobQueue;
  protection: InstanceProtection;
  close(): Promise<void>;
}

/**
 * `embedded`: the SQLite/filesystem adapters under IBS_DATA_DIR (shared with the API process of local mode).
 * `aws`: DynamoDB/S3/SQS and Auto Scaling instance protection (imported lazily, so local mode loads no AWS SDK and the
 * embedded adapters' native SQLite never has to exist on an AMI that does not use it).
 */
export async function createRunnerAdapters(config: RunnerConfig): Promise<RunnerAdapters> {
  if (config.backend === 'embedded') {
    const { createEmbeddedAdapters } = await import('../../layers/src/adapters/embedded/embedded-adapters.ts');
    // The queue dead-letters after the same receive count the runner retries up to (IBS_MAX_RECEIVES).
    const adapters = createEmbeddedAdapters({ dataDir: config.dataDir, publicBaseUrl: config.publicBaseUrl, maxReceives: config.maxAttempts });
    return {
      store: adapters.store,
      blobs: adapters.blobs,
      queue: adapters.queue,
      protection: noInstanceProtection,
      close: async () => {
        adapters.db.close();
      },
    };
  }
  const { createAwsRunnerAdapters } = await import('../../layers/src/adapters/aws/runner-adapters.ts');
  return createAwsRunnerAdapters(process.env);
}
