/** readAll: a file-backed blob read whole (in parallel parts when large), any other stream concatenated. */
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readAll } from '../../layers/src/depsolve/blob-bytes.ts';

const dir = mkdtempSync(join(tmpdir(), 'blob-bytes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readAll', () => {
  it.each([
    ['empty', 0],
    ['small', 1000],
    ['large: parts of unequal ends', 13 * 1024 * 1024 + 7],
    ['large: four parts', 17 * 1024 * 1024 + 3],
  ])('returns a %s file byte for byte', async (_, size) => {
    const bytes = randomBytes(size);
    const path = join(dir, `f-${size}`);
    writeFileSync(path, bytes);
    const got = await readAll(createReadStream(path));
    expect(got.length).toBe(size);
    expect(Buffer.from(got).equals(bytes)).toBe(true);
  });

  it('rejects with the read error (a directory: EISDIR)', async () => {
    const stream = createReadStream(dir);
    stream.on('error', () => {}); // the stream's own read is never started: readAll reads the path itself
    await expect(readAll(stream)).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('concatenates a stream that is not a whole file (a range, or another BlobStore)', async () => {
    const bytes = randomBytes(200_000);
    const path = join(dir, 'ranged');
    writeFileSync(path, bytes);
    expect(Buffer.from(await readAll(createReadStream(path, { start: 5 }))).equals(bytes.subarray(5))).toBe(true);
    const chunks = [bytes.subarray(0, 70_000), bytes.subarray(70_000)];
    expect(Buffer.from(await readAll(Readable.from(chunks))).equals(bytes)).toBe(true);
  });
});
