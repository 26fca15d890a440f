import type { Compose } from '../../layers/src/compose/compose.ts';
import { isFinalState } from '../../layers/src/compose/compose.ts';
import type { BuildJob } from '../../layers/src/compose/jobs.ts';
import type { ComposeStore } from '../../layers/src/ports/compose-store.ts';
import type { QueueMessage } from '../../layers/src/ports/job-queue.ts';

export type ClaimOutcome =
  | { kind: 'claimed'; compose: Compose; takeover: boolean }
  /** The message has nothing left to do: delete it. */
  | { kind: 'drop'; reason: string }
  /** Not buildable yet (only if a job overtook its compose's state change): retry soon. */
  | { kind: 'later'; reason: string }
  /** An older delivery of a message a newer delivery owns: leave the message alone (our receipt is stale). */
  | { kind: 'ignore'; reason: string };

/**
 * Makes this delivery the compose's only builder, with conditional writes so two runners can never both win:
 * `queued → building` for a fresh job; `building|uploading → building` only for a newer delivery of the *same* message
 * (its previous runner stopped heartbeating, so the queue handed the message out again).
 */
export async function claimCompose(
  store: ComposeStore,
  message: QueueMessage<BuildJob>,
  runnerId: string,
  now: () => string = () => new Date().toISOString(),
): Promise<ClaimOutcome> {
  const { orgId, composeId } = message.body;
  const owner = {
    runnerId,
    attempt: message.receiveCount,
    jobMessageId: message.id,
    startedAt: now(),
    heartbeatAt: now(),
    progress: { done: 0, total: 0 },
  };
  const claimed = await store.transition(orgId, composeId, { from: ['queued'], to: 'building', set: owner });
  if (claimed) return { kind: 'claimed', compose: claimed, takeover: false };

  const compose = await store.get(orgId, composeId);
  if (!compose) return { kind: 'drop', reason: 'compose does not exist' };
  if (isFinalState(compose.state)) return { kind: 'drop', reason: `compose already ${compose.state}` };
  if (compose.state === 'pending') return { kind: 'later', reason: 'compose still pending its manifest' };
  if (compose.state === 'queued') return { kind: 'later', reason: 'compose changed while claiming' };
  if (compose.jobMessageId !== message.id) {
    // A second build job for the same compose (the manifest worker was redelivered): the owner's job builds it.
    return { kind: 'drop', reason: `compose is owned by build job ${compose.jobMessageId ?? '(none)'}` };
  }
  const taken = await store.transition(orgId, composeId, {
    from: ['building', 'uploading'],
    to: 'building',
    set: owner,
    jobMessageId: message.id,
    attemptBelow: message.receiveCount,
  });
  if (taken) return { kind: 'claimed', compose: taken, takeover: true };
  const again = await store.get(orgId, composeId);
  if (again && !isFinalState(again.state) && again.jobMessageId === message.id && again.attempt >= message.receiveCount) {
    // Same delivery seen twice (should not happen) or an even newer one already owns it.
    return { kind: 'ignore', reason: `delivery ${again.attempt} of this job already owns the compose` };
  }
  return { kind: 'later', reason: 'compose changed while taking over' };
}
