/** Logical queue names; adapters map them to SQS queue URLs or SQLite tables. */
export type QueueName = 'manifest' | `build-${string}`;

export const buildQueueFor = (architecture: string): QueueName => `build-${architecture}`;
export const deadLetterQueueOf = (queue: string): string => `${queue}-dlq`;

export interface ReceiveOptions {
  maxMessages?: number;
  /** Long poll: wait up to this many seconds for a message. */
  waitSeconds?: number;
  /** How long a received message stays invisible to other consumers. */
  visibilitySeconds?: number;
}

export interface QueueMessage<T = unknown> {
  id: string;
  /** Opaque handle for delete/extend; valid only for this receive. */
  receiptHandle: string;
  body: T;
  /** 1 on first delivery. */
  receiveCount: number;
}

/**
 * A work queue with at-least-once delivery. A message that is received `maxReceives` times without being deleted
 * moves to the dead-letter queue `<queue>-dlq`.
 */
export interface JobQueue {
  send(queue: string, body: unknown, options?: { delaySeconds?: number }): Promise<string>;
  receive<T = unknown>(queue: string, options?: ReceiveOptions): Promise<QueueMessage<T>[]>;
  /** Make the message invisible for `seconds` from now (0 = hand it back immediately). */
  changeVisibility(queue: string, receiptHandle: string, seconds: number): Promise<void>;
  delete(queue: string, receiptHandle: string): Promise<void>;
  /** Visible and in-flight message counts, for scaling and tests. */
  depth(queue: string): Promise<{ visible: number; inFlight: number }>;
}
