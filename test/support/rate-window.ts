/**
 * Timing a burst of requests against the request-rate limit: its windows are fixed, starting at multiples of their
 * size since the epoch (`windowOf`), so a burst that straddles a window boundary is counted in two windows and the
 * 429 a test expects never comes.
 */
import { windowOf } from '../../layers/src/ports/rate-limiter.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until a new rate window has begun (for a burst that must all land in one fresh window). */
export async function waitForNextRateWindow(windowSeconds: number): Promise<void> {
  const limit = { requests: 1, windowSeconds };
  const start = windowOf(limit, Date.now()).index;
  while (windowOf(limit, Date.now()).index === start) await sleep(Math.max(5, (start + 1) * windowSeconds * 1000 - Date.now() + 10));
}

/** Until the current rate window has at least `needMs` left, waiting for the next one if it has not. */
export async function waitForRateWindowRoom(windowSeconds: number, needMs: number): Promise<void> {
  const size = windowSeconds * 1000;
  if (size - (Date.now() % size) < needMs) await waitForNextRateWindow(windowSeconds);
}
