/** Lambda entry: every dead-letter queue (manifest, build-<arch>) fails the composes of the jobs that died there. */
import { awsServiceDeps, queueNamePrefix } from './deps.ts';
import { createDeadLetterRouter } from './dead-letter-router.ts';

const deps = awsServiceDeps();
export const handler = createDeadLetterRouter(deps, queueNamePrefix(process.env.IBS_QUEUE_URL_PREFIX ?? ''));
