/**
 * The embedded RateLimiter: fixed-window counters in the API process's memory (local mode runs one API process, so
 * the counts are complete there). Counters of past windows are dropped as keys come back, and all of them at once
 * when the map grows past `maxKeys`.
 */
import { windowOf, type RateDecision, type RateLimit, type RateLimiter } from '../../ports/rate-limiter.ts';

export class MemoryRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, { index: number; count: number }>();

  constructor(private readonly maxKeys = 100_000) {}

  async take(key: string, limit: RateLimit, now = Date.now()): Promise<RateDecision> {
    const { index, retryAfterSeconds } = windowOf(limit, now);
    let counter = this.counters.get(key);
    if (!counter || counter.index !== index) {
      if (!counter && this.counters.size >= this.maxKeys) this.dropPastWindows(index);
      counter = { index, count: 0 };
      this.counters.set(key, counter);
    }
    counter.count++;
    return { allowed: counter.count <= limit.requests, count: counter.count, retryAfterSeconds };
  }

  private dropPastWindows(current: number): void {
    for (const [key, counter] of this.counters) if (counter.index !== current) this.counters.delete(key);
  }
}
