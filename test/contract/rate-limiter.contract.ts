import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../layers/src/ports/rate-limiter.ts';

/** The RateLimiter contract: every adapter (in memory, DynamoDB) counts per key and fixed window alike. */
export function describeRateLimiterContract(name: string, makeLimiter: () => Promise<RateLimiter>) {
  describe(`RateLimiter contract: ${name}`, () => {
    const limit = { requests: 3, windowSeconds: 60 };
    // 10 s into a window: 50 s left.
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 + 10_000;

    it('allows the limit per window, refuses the rest with the seconds left, and starts again in the next window', async () => {
      const limiter = await makeLimiter();
      const key = `org-${randomUUID()}`;
      const decisions = [];
      for (let i = 0; i < 5; i++) decisions.push(await limiter.take(key, limit, t0 + i));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
      expect(decisions.map((d) => d.count)).toEqual([1, 2, 3, 4, 5]);
      expect(decisions[3].retryAfterSeconds).toBe(50);
      expect(await limiter.take(key, limit, t0 + 50_000)).toMatchObject({ allowed: true, count: 1 });
      expect(await limiter.take(`org-${randomUUID()}`, limit, t0)).toMatchObject({ allowed: true, count: 1 });
    });

    it('counts concurrent requests exactly', async () => {
      const limiter = await makeLimiter();
      const key = `org-${randomUUID()}`;
      const decisions = await Promise.all(Array.from({ length: 10 }, () => limiter.take(key, limit, t0)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(3);
      expect(decisions.map((d) => d.count).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });
  });
}
