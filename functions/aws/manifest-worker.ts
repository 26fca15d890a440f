/** Lambda entry: the manifest worker on the SQS manifest queue (partial batch failures), with the repository depsolver. */
import { RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { createManifestWorkerHandler } from '../manifest-worker.ts';
import { awsServiceDeps } from './deps.ts';

const deps = awsServiceDeps();
// Repository indexes are cached in the bucket (built by the refresher) and in memory across warm invocations.
export const handler = createManifestWorkerHandler({ ...deps, depsolver: new RepoDepsolver({ blobStore: deps.blobs }) });
