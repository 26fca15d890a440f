/** Lambda entry (schedule): fails or requeues builds whose runner stopped heartbeating, fails composes that waited too long. */
import { DEFAULT_REAPER_OPTIONS, reapStaleComposes, type ReaperOptions } from '../../layers/src/service/reaper.ts';
import { awsServiceDeps } from './deps.ts';
import { envNumber } from './env.ts';

const deps = awsServiceDeps();
const options: ReaperOptions = {
  staleAfterSeconds: envNumber('IBS_STALE_AFTER_SECONDS', DEFAULT_REAPER_OPTIONS.staleAfterSeconds),
  maxAttempts: envNumber('IBS_MAX_RECEIVES', DEFAULT_REAPER_OPTIONS.maxAttempts),
  maxRequeues: envNumber('IBS_MAX_REQUEUES', DEFAULT_REAPER_OPTIONS.maxRequeues),
  queuedTimeoutSeconds: envNumber('IBS_QUEUED_TIMEOUT_SECONDS', DEFAULT_REAPER_OPTIONS.queuedTimeoutSeconds),
  limit: envNumber('IBS_REAPER_LIMIT', DEFAULT_REAPER_OPTIONS.limit),
};

export const handler = async () => reapStaleComposes(deps, options);
