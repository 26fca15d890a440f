/** Lambda entry (schedule): rebuilds the repository indexes of every distribution whose metadata changed. */
import { IndexStore } from '../../layers/src/depsolve/index.ts';
import { refreshRepositoryIndexes } from './repo-refresh-handler.ts';
import { awsServiceDeps } from './deps.ts';

const deps = awsServiceDeps();
const store = new IndexStore({ blobStore: deps.blobs });

export const handler = async () => refreshRepositoryIndexes(store, deps.log);
