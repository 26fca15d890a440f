/** Waiting for the local stack's manifest worker: tests that compare queue depths must not read them while it works. */
import type { LocalStack } from '../../local/stack.ts';

/**
 * Until the manifest worker has taken every job off its queue; throws (naming the depth) after `timeoutMs`. It must
 * not give up quietly: a test that then compares depths read before and after a refusal would see the worker's own
 * progress, not what the refusal wrote.
 */
export async function waitForEmptyManifestQueue(stack: LocalStack, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const depth = await stack.deps.queue.depth('manifest');
    if (depth.visible + depth.inFlight === 0) return;
    if (Date.now() > deadline) throw new Error(`the manifest queue did not drain within ${timeoutMs / 1000} s: ${JSON.stringify(depth)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
