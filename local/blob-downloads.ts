/**
 * Signed `/_blobs/` downloads from the filesystem blob store (S3 presigns its own URLs). A URL may carry the size and
 * SHA-256 the compose recorded: a stored file that no longer matches is refused or cut off, never served as a 200.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import type { FsBlobStore } from '../layers/src/adapters/embedded/fs-blob-store.ts';
import type { BlobIntegrity } from '../layers/src/ports/blob-store.ts';
import { sendJson } from './json-reply.ts';

export async function serveBlob(blobs: FsBlobStore, url: URL, res: ServerResponse, headOnly: boolean, onError: (error: unknown) => void): Promise<void> {
  let key: string;
  try {
    key = url.pathname.slice('/_blobs/'.length).split('/').map(decodeURIComponent).join('/');
  } catch {
    sendJson(res, 400, 'Bad request', 'the download path has a malformed %-escape');
    return;
  }
  const expires = Number(url.searchParams.get('expires'));
  const filename = url.searchParams.get('filename') ?? undefined;
  const integrity = integrityOf(url);
  if (!blobs.verifyDownload(key, expires, filename, url.searchParams.get('signature') ?? '', integrity)) {
    sendJson(res, 403, 'Forbidden', 'the download URL is invalid or has expired');
    return;
  }
  const info = await blobs.head(key);
  if (!info) {
    sendJson(res, 404, 'Not found', 'no such object');
    return;
  }
  if (integrity && info.size !== integrity.size) {
    onError(new Error(`stored object ${key} has ${info.size} bytes, ${integrity.size} were recorded`));
    sendJson(res, 500, 'Internal server error', `the stored file is damaged (${info.size} bytes of the ${integrity.size} recorded); it is not served`);
    return;
  }
  const stream = headOnly ? undefined : await blobs.get(key);
  res.writeHead(200, {
    'content-type': info.contentType ?? 'application/octet-stream',
    'content-length': String(info.size),
    ...(filename ? { 'content-disposition': `attachment; filename="${filename.replace(/"/g, '')}"` } : {}),
    // So clients can check what they got (RFC 9530), as `ibs compose download` does.
    ...(integrity ? { 'repr-digest': `sha-256=:${Buffer.from(integrity.sha256, 'hex').toString('base64')}:`, 'x-checksum-sha256': integrity.sha256 } : {}),
  });
  if (!stream) {
    res.end();
    return;
  }
  // Headers go out now: a transfer cut off later is then seen as that, not as an unreachable service.
  res.flushHeaders();
  const body = integrity ? stream.pipe(verifyingSha256(integrity.sha256)) : stream;
  // A file removed, unreadable or altered mid-download ends this response only (cut short), never the process.
  for (const part of new Set([stream, body])) {
    part.on('error', (error) => {
      onError(error);
      res.destroy();
    });
  }
  res.on('close', () => stream.destroy());
  body.pipe(res);
}

function integrityOf(url: URL): BlobIntegrity | undefined {
  const size = url.searchParams.get('size');
  const sha256 = url.searchParams.get('sha256');
  return size !== null && sha256 !== null ? { size: Number(size), sha256 } : undefined;
}

/**
 * Passes the bytes through but holds the last chunk back until the whole object's SHA-256 is known: on a mismatch the
 * stream fails before the response is complete, so the client sees a cut-off download, not a good one.
 */
function verifyingSha256(expected: string): Transform {
  const hash = createHash('sha256');
  let held: Buffer | undefined;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      hash.update(chunk);
      if (held) this.push(held);
      held = chunk;
      done();
    },
    flush(done: TransformCallback) {
      const actual = hash.digest('hex');
      if (actual !== expected) return done(new Error(`stored object does not match its recorded sha256 (${actual} ≠ ${expected})`));
      if (held) this.push(held);
      done();
    },
  });
}
