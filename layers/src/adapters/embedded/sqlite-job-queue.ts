import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobQueue, QueueMessage, ReceiveOptions } from '../../ports/job-queue.ts';
import { deadLetterQueueOf } from '../../ports/job-queue.ts';
import type { SqliteDatabase } from './sqlite.ts';

interface MessageRow {
  id: string;
  body: string;
  receive_count: number;
}

export interface SqliteJobQueueOptions {
  /** Receives before a message moves to `<queue>-dlq` (SQS maxReceiveCount). */
  maxReceives?: number;
  defaultVisibilitySeconds?: number;
  /** Long-poll check interval. */
  pollIntervalMs?: number;
}

/** JobQueue on SQLite with SQS semantics: visibility timeout, receive count, dead-letter after maxReceives. */
export class SqliteJobQueue implements JobQueue {
  // Wakes long-polling receivers in this process at once; other processes notice on their next poll.
  private static readonly sent = new EventEmitter().setMaxListeners(0);
  private readonly maxReceives: number;
  private readonly defaultVisibility: number;
  private readonly pollIntervalMs: number;

  constructor(
    private readonly db: SqliteDatabase,
    options: SqliteJobQueueOptions = {},
  ) {
    this.maxReceives = options.maxReceives ?? 3;
    this.defaultVisibility = options.defaultVisibilitySeconds ?? 30;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    db.exec(`
      CREATE TABLE IF NOT EXISTS queue_messages (
        id TEXT PRIMARY KEY,
        queue TEXT NOT NULL,
        body TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        visible_at INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        receipt TEXT
      );
      CREATE INDEX IF NOT EXISTS queue_messages_visible ON queue_messages (queue, visible_at, sent_at);
      CREATE UNIQUE INDEX IF NOT EXISTS queue_messages_receipt ON queue_messages (receipt);
    `);
  }

  async send(queue: string, body: unknown, options: { delaySeconds?: number } = {}): Promise<string> {
    const id = randomUUID();
    const now = Date.now();
    this.db
      .prepare('INSERT INTO queue_messages (id, queue, body, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, queue, JSON.stringify(body), now, now + (options.delaySeconds ?? 0) * 1000);
    if (!options.delaySeconds) SqliteJobQueue.sent.emit(queue);
    return id;
  }

  async receive<T = unknown>(queue: string, options: ReceiveOptions = {}): Promise<QueueMessage<T>[]> {
    const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000;
    for (;;) {
      const messages = this.receiveNow<T>(queue, options.maxMessages ?? 1, options.visibilitySeconds ?? this.defaultVisibility);
      if (messages.length > 0 || Date.now() >= deadline) return messages;
      await this.waitForSend(queue, Math.min(this.pollIntervalMs, Math.max(1, deadline - Date.now())));
    }
  }

  async changeVisibility(queue: string, receiptHandle: string, seconds: number): Promise<void> {
    const result = this.db
      .prepare('UPDATE queue_messages SET visible_at = ? WHERE queue = ? AND receipt = ?')
      .run(Date.now() + seconds * 1000, queue, receiptHandle);
    if (result.changes === 0) throw new Error(`receipt handle is no longer valid for queue ${queue}`);
  }

  async delete(queue: string, receiptHandle: string): Promise<void> {
    // Like SQS, deleting with a stale receipt handle is not an error.
    this.db.prepare('DELETE FROM queue_messages WHERE queue = ? AND receipt = ?').run(queue, receiptHandle);
  }

  async depth(queue: string): Promise<{ visible: number; inFlight: number }> {
    const now = Date.now();
    const row = this.db
      .prepare(
        `SELECT sum(CASE WHEN visible_at <= ? THEN 1 ELSE 0 END) AS visible,
                sum(CASE WHEN visible_at > ? AND receive_count > 0 THEN 1 ELSE 0 END) AS in_flight
         FROM queue_messages WHERE queue = ?`,
      )
      .get(now, now, queue) as { visible: number | null; in_flight: number | null };
    return { visible: row.visible ?? 0, inFlight: row.in_flight ?? 0 };
  }

  private async waitForSend(queue: string, ms: number): Promise<void> {
    const abort = new AbortController();
    const wake = () => abort.abort();
    SqliteJobQueue.sent.once(queue, wake);
    try {
      await sleep(ms, undefined, { signal: abort.signal }).catch(() => undefined);
    } finally {
      SqliteJobQueue.sent.off(queue, wake);
    }
  }

  private receiveNow<T>(queue: string, max: number, visibilitySeconds: number): QueueMessage<T>[] {
    const take = this.db.transaction(() => {
      const now = Date.now();
      const rows = this.db
        .prepare('SELECT id, body, receive_count FROM queue_messages WHERE queue = ? AND visible_at <= ? ORDER BY sent_at LIMIT ?')
        .all(queue, now, max) as MessageRow[];
      const received: QueueMessage<T>[] = [];
      for (const row of rows) {
        if (row.receive_count >= this.maxReceives) {
          // SQS redrive: a message received maxReceives times moves to the dead-letter queue on the next receive.
          this.db
            .prepare('UPDATE queue_messages SET queue = ?, receive_count = 0, receipt = NULL, visible_at = ? WHERE id = ?')
            .run(deadLetterQueueOf(queue), now, row.id);
          continue;
        }
        const receipt = randomUUID();
        this.db
          .prepare('UPDATE queue_messages SET receive_count = receive_count + 1, receipt = ?, visible_at = ? WHERE id = ?')
          .run(receipt, now + visibilitySeconds * 1000, row.id);
        received.push({ id: row.id, receiptHandle: receipt, body: JSON.parse(row.body) as T, receiveCount: row.receive_count + 1 });
      }
      return received;
    });
    return take.immediate();
  }
}
