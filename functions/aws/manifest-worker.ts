/** Lambda entry: the manifest worker on the SQS manifest queue (partial batch failures), with the repository depsolver. */
import { createDynamoDbComposeStore } from '../../layers/src/adapters/aws/dynamodb-compose-store-factory.ts';
import { createS3BlobStore } from '../../layers/src/adapters/aws/s3-blob-store.ts';
import { createSqsJobQueue } from '../../layers/src/adapters/aws/sqs-job-queue.ts';
import { RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { createManifestWorkerHandler } from '../manifest-worker.ts';
import { readDepsolverOptions } from './config.ts';
import { createLambdaDeps } from './deps.ts';
import { listDistributionRepositories } from './repo-refresh-handler.ts';

const deps = createLambdaDeps({ store: createDynamoDbComposeStore, blobs: createS3BlobStore, queue: createSqsJobQueue });
// Repository indexes are cached in the bucket (built by the refresher) and in memory across warm invocations.
export const handler = createManifestWorkerHandler({ ...deps, depsolver: new RepoDepsolver({ blobStore: deps.blobs, ...readDepsolverOptions(process.env), distributionRepositories: listDistributionRepositories() }) });
