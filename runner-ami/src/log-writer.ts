import { logChunkKey } from '../../layers/src/compose/blob-keys.ts';
import type { Logger } from '../../layers/src/log/logger.ts';
import type { BlobStore } from '../../layers/src/ports/blob-store.ts';

export const MAX_LOG_CHUNK_BYTES = 64 * 1024;

export interface LogWriterOptions {
  blobs: BlobStore;
  orgId: string;
  composeId: string;
  attempt: number;
  /** Buffered text is written at least this often. */
  flushIntervalMs: number;
  log: Logger;
}

/**
 * Appends a build's log to the BlobStore as numbered chunks (objects cannot be appended to): `GET /logs?offset=`
 * concatenates them, so a user tails the build while it runs. Chunks are ≤ 64 KiB and written in order.
 */
export class LogChunkWriter {
  private buffer: Buffer[] = [];
  private buffered = 0;
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private failures = 0;
  private stored = 0;
  private lastError?: string;

  constructor(private readonly options: LogWriterOptions) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.timer.unref();
  }

  append(text: string): void {
    if (this.closed || text === '') return;
    const bytes = Buffer.from(text, 'utf8');
    this.buffer.push(bytes);
    this.buffered += bytes.length;
    if (this.buffered >= MAX_LOG_CHUNK_BYTES) void this.flush();
  }

  line(text: string): void {
    this.append(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Writes everything buffered so far (in ≤ 64 KiB chunks, cut at line ends where possible). */
  flush(): Promise<void> {
    if (this.buffered === 0) return this.chain;
    let data = Buffer.concat(this.buffer);
    this.buffer = [];
    this.buffered = 0;
    const chunks: Buffer[] = [];
    while (data.length > MAX_LOG_CHUNK_BYTES) {
      const window = data.subarray(0, MAX_LOG_CHUNK_BYTES);
      let cut = window.lastIndexOf(0x0a) + 1;
      if (cut <= 0) cut = utf8Boundary(data, MAX_LOG_CHUNK_BYTES);
      chunks.push(data.subarray(0, cut));
      data = data.subarray(cut);
    }
    if (data.length) chunks.push(data);
    for (const chunk of chunks) {
      const seq = this.seq++;
      this.chain = this.chain.then(() => this.write(seq, chunk));
    }
    return this.chain;
  }

  /**
   * What of the log is missing from the BlobStore (chunks refused after their retries: a full disk, a denied write), to
   * record on the compose; undefined when every chunk written so far was stored.
   */
  lossReport(): string | undefined {
    if (this.failures === 0) return undefined;
    if (this.stored === 0) return `the build log could not be stored: ${this.failures} of ${this.failures} chunks refused (${this.lastError})`;
    return `the build log is incomplete: ${this.failures} of ${this.failures + this.stored} chunks could not be stored (last error: ${this.lastError})`;
  }

  /** Final flush; later appends are ignored. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    this.closed = true;
  }

  private async write(seq: number, chunk: Buffer): Promise<void> {
    const { blobs, orgId, composeId, attempt } = this.options;
    const key = logChunkKey(orgId, composeId, attempt, seq);
    for (let attemptNo = 1; ; attemptNo++) {
      try {
        await blobs.put(key, chunk, { contentType: 'text/plain; charset=utf-8' });
        this.stored++;
        return;
      } catch (error) {
        // The log is best effort: a lost chunk must never fail the build it describes; lossReport() records it instead.
        if (attemptNo >= 3) {
          this.failures++;
          this.lastError = error instanceof Error ? error.message : String(error);
          this.options.log.warn('could not write a log chunk', { key, error, failures: this.failures });
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * attemptNo));
      }
    }
  }
}

/** Largest index ≤ max that does not split a UTF-8 character. */
function utf8Boundary(data: Buffer, max: number): number {
  let i = Math.min(max, data.length);
  while (i > 0 && i < data.length && (data[i] & 0xc0) === 0x80) i--;
  return i > 0 ? i : max;
}
