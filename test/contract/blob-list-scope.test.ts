/**
 * Listing a prefix reads that prefix only (issue 17, item 14): `/logs` of one compose must not walk every
 * organization's objects. The filesystem store is watched through its directory reads, the S3 adapter (on fauxqs)
 * through the requests its client sends; both stores hold many objects of other organizations.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3BlobStore } from '../../layers/src/adapters/aws/s3-blob-store.ts';
import { createBucket } from '../../layers/src/adapters/aws/provision.ts';
import { FsBlobStore } from '../../layers/src/adapters/embedded/fs-blob-store.ts';
import { logChunkKey } from '../../layers/src/compose/blob-keys.ts';
import type { Compose } from '../../layers/src/compose/compose.ts';
import type { BlobStore } from '../../layers/src/ports/blob-store.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { readComposeLogs } from '../../layers/src/service/compose-service.ts';
import { STAND_IN_CREDENTIALS, STAND_IN_REGION, startFauxqs } from '../../local/aws-stand-ins.ts';

// Every directory read of the filesystem store goes through this spy.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, readdir: vi.fn(actual.readdir) };
});

const ORG = 'org-7';
const COMPOSE = 'compose-3';
/** Two log chunks per compose (two attempts), plus an artifact: the keys every organization has. */
const keysOf = (org: string, id: string) => [logChunkKey(org, id, 1, 0), logChunkKey(org, id, 2, 0), `artifacts/${org}/${id}/1/disk.qcow2`];
const chunkText = (key: string) => `log of ${key}\n`;

/** `readComposeLogs` on a store, the compose record finished (its log complete). */
const depsOn = (blobs: BlobStore) =>
  ({ blobs, store: { get: async (orgId: string, id: string) => ({ orgId, id, state: 'success' }) as unknown as Compose } }) as unknown as ServiceDeps;

describe('FsBlobStore.list reads only the prefix’s directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'ibs-list-scope-'));
  const store = new FsBlobStore({ root, publicBaseUrl: 'http://127.0.0.1:1', signingKey: Buffer.alloc(32) });
  const objects = join(root, 'objects');
  beforeAll(() => {
    // 60 organizations × 12 composes × 3 objects = 2,160 objects, written straight to disk (put is not under test).
    for (let org = 0; org < 60; org++) {
      for (let id = 0; id < 12; id++) {
        for (const key of keysOf(`org-${org}`, `compose-${id}`)) {
          mkdirSync(join(objects, key, '..'), { recursive: true });
          writeFileSync(join(objects, key), chunkText(key));
        }
      }
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const readsDuring = async <T>(action: () => Promise<T>): Promise<{ result: T; paths: string[] }> => {
    const spy = vi.mocked(readdir);
    spy.mockClear();
    const result = await action();
    return { result, paths: spy.mock.calls.map(([path, options]) => `${String(path).replace(/\/$/, '')}${(options as { recursive?: boolean })?.recursive ? ' (recursive)' : ''}`) };
  };

  it('lists one compose’s log chunks with one read of its own directory', async () => {
    const { result, paths } = await readsDuring(() => store.list(`logs/${ORG}/${COMPOSE}/`));
    expect(result.map((b) => b.key)).toEqual(keysOf(ORG, COMPOSE).slice(0, 2));
    expect(paths).toEqual([join(objects, 'logs', ORG, COMPOSE)]);
  });

  it('matches a partial last segment without reading sibling directories that do not match', async () => {
    const { result, paths } = await readsDuring(() => store.list('logs/org-1'));
    expect(new Set(result.map((b) => b.key.split('/')[1]))).toEqual(new Set(['org-1', ...Array.from({ length: 10 }, (_, i) => `org-1${i}`)]));
    expect(result).toHaveLength(11 * 12 * 2);
    for (const path of paths.slice(1)) expect(path).toMatch(/\/logs\/org-1\d?(\/|$)/);
    expect(paths[0]).toBe(join(objects, 'logs'));
  });

  it('lists nothing for a missing prefix, and refuses a prefix that leaves the store', async () => {
    expect(await store.list('logs/no-such-org/')).toEqual([]);
    await expect(store.list('../')).rejects.toThrow(/invalid blob key/);
    await expect(store.list('logs/../../x')).rejects.toThrow(/invalid blob key/);
  });

  it('reads a compose’s log (readComposeLogs) without touching other organizations', async () => {
    const { result, paths } = await readsDuring(() => readComposeLogs(depsOn(store), ORG, COMPOSE, 0));
    expect(result.text).toBe(keysOf(ORG, COMPOSE).slice(0, 2).map(chunkText).join(''));
    expect(result.complete).toBe(true);
    expect(paths).toEqual([join(objects, 'logs', ORG, COMPOSE)]);
  });
});

describe('S3BlobStore.list asks S3 for the prefix only (fauxqs)', () => {
  let stopFauxqs: (() => Promise<void>) | undefined;
  let client: S3Client;
  let store: S3BlobStore;
  const requests: { command: string; input: Record<string, unknown> }[] = [];
  beforeAll(async () => {
    const fauxqs = await startFauxqs();
    stopFauxqs = fauxqs.stop;
    client = new S3Client({ endpoint: fauxqs.endpoint, region: STAND_IN_REGION, credentials: STAND_IN_CREDENTIALS, forcePathStyle: true });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        requests.push({ command: String(context.commandName), input: args.input as Record<string, unknown> });
        return next(args);
      },
      { step: 'initialize', name: 'recordRequests' },
    );
    await createBucket(client, 'list-scope');
    store = new S3BlobStore(client, { bucket: 'list-scope' });
    // 20 organizations × 6 composes × 3 objects = 360 objects.
    const keys = Array.from({ length: 20 }, (_, org) => Array.from({ length: 6 }, (_, id) => keysOf(`org-${org}`, `compose-${id}`))).flat(2);
    for (let i = 0; i < keys.length; i += 40) await Promise.all(keys.slice(i, i + 40).map((key) => store.put(key, chunkText(key))));
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await stopFauxqs?.();
  });

  it('sends one ListObjectsV2 with the compose’s prefix, then reads only its chunks', async () => {
    requests.length = 0;
    const slice = await readComposeLogs(depsOn(store), ORG, COMPOSE, 0);
    expect(slice.text).toBe(keysOf(ORG, COMPOSE).slice(0, 2).map(chunkText).join(''));
    expect(requests.map(({ command, input }) => [command, input.Prefix ?? input.Key])).toEqual([
      ['ListObjectsV2Command', `logs/${ORG}/${COMPOSE}/`],
      ['GetObjectCommand', keysOf(ORG, COMPOSE)[0]],
      ['GetObjectCommand', keysOf(ORG, COMPOSE)[1]],
    ]);
  });

  it('reads from an offset without fetching the chunks before it', async () => {
    requests.length = 0;
    const first = chunkText(keysOf(ORG, COMPOSE)[0]!);
    const slice = await readComposeLogs(depsOn(store), ORG, COMPOSE, first.length + 4);
    expect(slice.text).toBe(chunkText(keysOf(ORG, COMPOSE)[1]!).slice(4));
    expect(requests.map(({ command }) => command)).toEqual(['ListObjectsV2Command', 'GetObjectCommand']);
    expect(requests[1]!.input).toMatchObject({ Key: keysOf(ORG, COMPOSE)[1], Range: 'bytes=4-' });
  });
});
