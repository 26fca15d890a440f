/** Ports with injected faults for the runner tests: a flaky blob store, a partitioned compose store, a stale receipt. */
import { Readable } from 'node:stream';
import type { Compose } from '../../layers/src/compose/compose.ts';
import type { BlobInfo, BlobStore, PutOptions } from '../../layers/src/ports/blob-store.ts';
import type { ComposeStore } from '../../layers/src/ports/compose-store.ts';
import type { JobQueue } from '../../layers/src/ports/job-queue.ts';

/** A BlobStore whose first `failTimes` puts of matching keys fail after reading part of the body (a dropped connection). */
export class FlakyBlobStore implements BlobStore {
  failures = 0;
  readonly puts: string[] = [];
  constructor(
    private readonly inner: BlobStore,
    private readonly matches: (key: string) => boolean,
    private readonly failTimes: number,
    /** The error a refused put throws (default: a dropped connection). */
    private readonly refusal: () => Error = () => Object.assign(new Error('connection reset by peer'), { code: 'ECONNRESET' }),
  ) {}

  async put(key: string, body: Readable | Uint8Array | string, options?: PutOptions): Promise<BlobInfo> {
    this.puts.push(key);
    if (this.matches(key) && this.failures < this.failTimes) {
      this.failures++;
      if (body instanceof Readable) {
        for await (const _ of body) break;
        body.destroy();
      }
      throw this.refusal();
    }
    return this.inner.put(key, body, options);
  }
  get: BlobStore['get'] = (key, options) => this.inner.get(key, options);
  head: BlobStore['head'] = (key) => this.inner.head(key);
  delete: BlobStore['delete'] = (key) => this.inner.delete(key);
  list: BlobStore['list'] = (prefix) => this.inner.list(prefix);
  downloadUrl: BlobStore['downloadUrl'] = (key, options) => this.inner.downloadUrl(key, options);
}

/**
 * A ComposeStore behind a network partition while `down`: calls hang until it heals (then go through, as TCP would),
 * and something can happen just before a transition (another runner's write).
 */
export class UnreachableStore implements ComposeStore {
  private healed?: { promise: Promise<void>; resolve: () => void };
  refused = 0;
  beforeTransition?: (...args: Parameters<ComposeStore['transition']>) => Promise<void>;
  afterTransition?: (request: Parameters<ComposeStore['transition']>[2], result: Compose | undefined) => Compose | undefined;
  constructor(private readonly inner: ComposeStore) {}
  set down(down: boolean) {
    if (down && !this.healed) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.healed = { promise, resolve };
    } else if (!down && this.healed) {
      this.healed.resolve();
      this.healed = undefined;
    }
  }
  private async reach<T>(call: () => Promise<T>): Promise<T> {
    if (this.healed) {
      this.refused++;
      await this.healed.promise;
    }
    return call();
  }
  create: ComposeStore['create'] = (compose) => this.reach(() => this.inner.create(compose));
  get: ComposeStore['get'] = (orgId, id) => this.reach(() => this.inner.get(orgId, id));
  list: ComposeStore['list'] = (orgId, options) => this.reach(() => this.inner.list(orgId, options));
  listByBlueprint: ComposeStore['listByBlueprint'] = (orgId, query) => this.reach(() => this.inner.listByBlueprint(orgId, query));
  createWithinQuota: ComposeStore['createWithinQuota'] = (compose, quota) => this.reach(() => this.inner.createWithinQuota(compose, quota));
  createAllWithinQuota: ComposeStore['createAllWithinQuota'] = (composes, quota) => this.reach(() => this.inner.createAllWithinQuota(composes, quota));
  transition: ComposeStore['transition'] = (orgId, id, request) =>
    this.reach(async () => {
      await this.beforeTransition?.(orgId, id, request);
      const result = await this.inner.transition(orgId, id, request);
      return this.afterTransition ? this.afterTransition(request, result) : result;
    });
  patch: ComposeStore['patch'] = (orgId, id, set, conditions) => this.reach(() => this.inner.patch(orgId, id, set, conditions));
  claimTask: ComposeStore['claimTask'] = (orgId, id, task, lease) => this.reach(() => this.inner.claimTask(orgId, id, task, lease));
  listStale: ComposeStore['listStale'] = (states, before, limit) => this.reach(() => this.inner.listStale(states, before, limit));
}

/** A JobQueue on which delaying a message (a visibility change to 0) fails as with a receipt the queue no longer honours. */
export class StaleReceiptQueue implements JobQueue {
  refusedDelays = 0;
  sent = 0;
  constructor(private readonly inner: JobQueue) {}
  send: JobQueue['send'] = (queue, body, options) => {
    this.sent++;
    return this.inner.send(queue, body, options);
  };
  receive: JobQueue['receive'] = (queue, options) => this.inner.receive(queue, options);
  changeVisibility: JobQueue['changeVisibility'] = async (queue, receiptHandle, seconds) => {
    if (seconds === 0) {
      this.refusedDelays++;
      throw new Error('ReceiptHandleIsInvalid: the receipt handle has expired');
    }
    return this.inner.changeVisibility(queue, receiptHandle, seconds);
  };
  delete: JobQueue['delete'] = (queue, receiptHandle) => this.inner.delete(queue, receiptHandle);
  depth: JobQueue['depth'] = (queue) => this.inner.depth(queue);
}

/** A JobQueue whose visibility changes take effect at once but answer `delayMs` later (a slow network round trip). */
export class SlowAnswerQueue implements JobQueue {
  constructor(
    private readonly inner: JobQueue,
    private readonly delayMs: number,
  ) {}
  send: JobQueue['send'] = (queue, body, options) => this.inner.send(queue, body, options);
  receive: JobQueue['receive'] = (queue, options) => this.inner.receive(queue, options);
  changeVisibility: JobQueue['changeVisibility'] = async (queue, receiptHandle, seconds) => {
    await this.inner.changeVisibility(queue, receiptHandle, seconds);
    await new Promise((r) => setTimeout(r, this.delayMs));
  };
  delete: JobQueue['delete'] = (queue, receiptHandle) => this.inner.delete(queue, receiptHandle);
  depth: JobQueue['depth'] = (queue) => this.inner.depth(queue);
}
