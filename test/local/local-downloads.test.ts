import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../layers/src/adapters/embedded/fs-blob-store.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { createHttpGateway, listen } from '../../local/http-gateway.ts';

let blobs: FsBlobStore;
let root: string;
let server: ReturnType<typeof createHttpGateway>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ibs-dl-'));
  blobs = new FsBlobStore({ root, publicBaseUrl: 'http://127.0.0.1', signingKey: randomBytes(32) });
  server = createHttpGateway(async () => ({ statusCode: 404 }), blobs, { log: createLogger({}, { write: () => {} }) });
  blobs.setPublicBaseUrl(`http://127.0.0.1:${await listen(server, 0)}`);
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function stored(name: string, bytes: Buffer) {
  const key = `artifacts/org/${name}/1/disk.img`;
  await blobs.put(key, bytes);
  const integrity = { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  return { key, integrity, url: await blobs.downloadUrl(key, { expiresIn: 60, filename: 'disk.img', integrity }), file: join(root, 'objects', key) };
}

describe('downloads check what the compose recorded', () => {
  it('an intact file is served whole with its SHA-256 digest header', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const { url, integrity } = await stored('ok', bytes);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-checksum-sha256')).toBe(integrity.sha256);
    expect(res.headers.get('repr-digest')).toBe(`sha-256=:${Buffer.from(integrity.sha256, 'hex').toString('base64')}:`);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('a truncated file is a 500 saying so, not a short 200', async () => {
    const { url, file } = await stored('short', randomBytes(1024 * 1024));
    truncateSync(file, 1000);
    const res = await fetch(url);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { errors: { detail: string }[] }).errors[0].detail).toMatch(/damaged \(1000 bytes of the 1048576 recorded\)/);
  });

  it('a file altered in place (same size) is cut off before its end: the client never gets a complete download', async () => {
    const bytes = randomBytes(2 * 1024 * 1024);
    const { url, file } = await stored('altered', bytes);
    const altered = Buffer.from(bytes);
    altered[altered.length - 5] ^= 0xff;
    writeFileSync(file, altered);
    await expect(fetch(url).then((r) => r.arrayBuffer())).rejects.toThrow();
  });

  it('the recorded size and digest are signed: changing them in the URL is a 403', async () => {
    const { url } = await stored('signed', randomBytes(100));
    const forged = new URL(url);
    forged.searchParams.set('size', '99');
    expect((await fetch(forged)).status).toBe(403);
  });
});
