/** Lambda entry (schedule): rebuilds the repository indexes of every distribution whose metadata changed. Only the bucket. */
import { createS3BlobStore } from '../../layers/src/adapters/aws/s3-blob-store.ts';
import { IndexStore } from '../../layers/src/depsolve/index.ts';
import { listDistributionRepositories, refreshRepositoryIndexes } from './repo-refresh-handler.ts';
import { readDepsolverOptions } from './config.ts';
import { createLambdaDeps } from './deps.ts';

const deps = createLambdaDeps({ blobs: createS3BlobStore });
const store = new IndexStore({ blobStore: deps.blobs, ...readDepsolverOptions(process.env), distributionRepositories: listDistributionRepositories() });

export const handler = async () => refreshRepositoryIndexes(store, deps.log);
