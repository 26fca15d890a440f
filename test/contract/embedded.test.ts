import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { createEmbeddedAdapters } from '../../layers/src/adapters/embedded/embedded-adapters.ts';
import { SqliteJobQueue } from '../../layers/src/adapters/embedded/sqlite-job-queue.ts';
import { createHttpGateway, listen } from '../../local/http-gateway.ts';
import { describeComposeStoreContract } from './compose-store.contract.ts';
import { describeComposeListFilterContract } from './compose-list-filter.contract.ts';
import { describeBlobStoreContract } from './blob-store.contract.ts';
import { describeJobQueueContract } from './job-queue.contract.ts';
import { describeBlueprintStoreContract } from './blueprint-store.contract.ts';
import { SqliteBlueprintStore } from '../../layers/src/adapters/embedded/sqlite-blueprint-store.ts';
import { describeRateLimiterContract } from './rate-limiter.contract.ts';
import { MemoryRateLimiter } from '../../layers/src/adapters/embedded/memory-rate-limiter.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'ibs-contract-'));
const adapters = createEmbeddedAdapters({ dataDir, publicBaseUrl: 'http://127.0.0.1:1' });
// Download URLs are served by the local gateway; the API handler is not needed for blob downloads.
const gateway = createHttpGateway(async () => ({ statusCode: 404 }), adapters.blobs);
const ready = listen(gateway, 0).then((port) => adapters.blobs.setPublicBaseUrl(`http://127.0.0.1:${port}`));
afterAll(() => new Promise<void>((resolve) => gateway.close(() => resolve())));

describeComposeStoreContract('SQLite', async () => adapters.store);
describeComposeListFilterContract('SQLite', async () => adapters.store);
describeBlobStoreContract('filesystem', async () => {
  await ready;
  return adapters.blobs;
});
describeJobQueueContract('SQLite', async (maxReceives) => ({
  queue: new SqliteJobQueue(adapters.db, { maxReceives }),
  name: `q-${randomUUID()}`,
}));

describeBlueprintStoreContract('SQLite', async () => new SqliteBlueprintStore(adapters.db));
describeRateLimiterContract('in memory', async () => new MemoryRateLimiter());
