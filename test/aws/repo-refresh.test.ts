import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshRepositoryIndexes } from '../../functions/aws/repo-refresh-handler.ts';
import { IndexStore } from '../../layers/src/depsolve/index.ts';
import type { Distribution } from '../../layers/src/distro/distribution.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { MemoryBlobStore, serveDirectory, type StaticServer } from '../depsolve/helpers.ts';
import { writeRepo } from '../depsolve/repo-generator.ts';

/** The scheduled repository-index refresher: builds what changed, skips what is current, reports what failed. */
const dir = mkdtempSync(join(tmpdir(), 'ibs-refresh-'));
let server: StaticServer;

beforeAll(async () => {
  writeRepo(dir, { packages: [{ name: 'tmux', version: '3.4', release: '1.fc44', arch: 'x86_64' }, { name: 'bash', version: '5.2', release: '1.fc44', arch: 'x86_64' }] });
  server = await serveDirectory(dir);
});
afterAll(() => server?.close());

const distribution = (baseurl: string): Distribution =>
  ({
    name: 'fedora-44',
    description: 'test',
    releasever: '44',
    architectures: [
      {
        name: 'x86_64',
        imageTypes: [],
        repositories: [
          { id: 'fedora', baseurl: [baseurl] },
          { id: 'gone', baseurl: ['http://127.0.0.1:9/nothing/'] },
        ],
      },
    ],
  }) as Distribution;

describe('repository index refresher', () => {
  it('builds a new revision once, keeps it in the blob store, and reports an unreachable repository without stopping', async () => {
    const blobs = new MemoryBlobStore();
    const log = createLogger({}, { write: () => {} });
    const distros = [distribution(server.url)];

    const first = await refreshRepositoryIndexes(new IndexStore({ blobStore: blobs }), log, distros);
    expect(first.refreshed).toEqual([
      expect.objectContaining({ distribution: 'fedora-44', architecture: 'x86_64', repository: 'fedora', packages: 2, built: true }),
    ]);
    expect(first.failed).toEqual([expect.objectContaining({ repository: 'gone', error: expect.stringMatching(/repository "gone"/) })]);
    const stored = await blobs.list('depsolve-index/');
    expect(stored.some((b) => b.key.endsWith(`${first.refreshed[0].revision}.idx`))).toBe(true);

    // A fresh function instance (cold start) finds the stored index: nothing is rebuilt.
    const second = await refreshRepositoryIndexes(new IndexStore({ blobStore: blobs }), log, distros);
    expect(second.refreshed).toEqual([expect.objectContaining({ repository: 'fedora', revision: first.refreshed[0].revision, built: false })]);
  });
});
