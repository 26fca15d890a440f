import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../../layers/src/ports/blob-store.ts';

/** The BlobStore contract: filesystem and S3 adapters pass the same assertions. `fetchUrl` downloads a URL. */
export function describeBlobStoreContract(name: string, makeStore: () => Promise<BlobStore>) {
  describe(`BlobStore contract: ${name}`, () => {
    it('stores from a stream and reads it back whole and from an offset', async () => {
      const store = await makeStore();
      const key = `t/${randomUUID()}/data.bin`;
      const data = randomBytes(300_000);
      const info = await store.put(key, Readable.from([data.subarray(0, 1000), data.subarray(1000)]), { contentType: 'application/octet-stream' });
      expect(info.size).toBe(data.length);
      const back = await buffer((await store.get(key))!);
      expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
      expect(await buffer((await store.get(key, { start: 299_990 }))!)).toEqual(data.subarray(299_990));
    });

    it('heads, lists by prefix in key order, deletes', async () => {
      const store = await makeStore();
      const prefix = `t/${randomUUID()}/`;
      await store.put(`${prefix}b.txt`, 'bb', { contentType: 'text/plain' });
      await store.put(`${prefix}a.txt`, 'a');
      await store.put(`${prefix}sub/c.txt`, 'ccc');
      expect(await store.head(`${prefix}b.txt`)).toMatchObject({ size: 2, contentType: 'text/plain' });
      expect((await store.list(prefix)).map((b) => [b.key.slice(prefix.length), b.size])).toEqual([
        ['a.txt', 1],
        ['b.txt', 2],
        ['sub/c.txt', 3],
      ]);
      await store.delete(`${prefix}a.txt`);
      expect(await store.head(`${prefix}a.txt`)).toBeUndefined();
      expect(await store.get(`${prefix}a.txt`)).toBeUndefined();
      expect((await store.list(prefix)).map((b) => b.key.slice(prefix.length))).toEqual(['b.txt', 'sub/c.txt']);
      // Deleting what is not there is no error (callers delete without a head first).
      await store.delete(`${prefix}a.txt`);
      await store.delete(`${prefix}never-stored.txt`);
      expect((await store.list(prefix)).map((b) => b.key.slice(prefix.length))).toEqual(['b.txt', 'sub/c.txt']);
    });

    it('gives a download URL that serves the object', async () => {
      const store = await makeStore();
      const key = `t/${randomUUID()}/image.tar`;
      await store.put(key, 'image bytes', { contentType: 'application/x-tar' });
      const url = await store.downloadUrl(key, { expiresIn: 60, filename: 'image.tar' });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('image bytes');
    });

    it('overwrites an object atomically', async () => {
      const store = await makeStore();
      const key = `t/${randomUUID()}/o`;
      await store.put(key, 'first');
      await store.put(key, 'second version');
      expect((await buffer((await store.get(key))!)).toString()).toBe('second version');
    });
  });
}
