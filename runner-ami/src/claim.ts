import type { Compose } from '../../layers/src/compose/compose.ts';
import { isFinalState } from '../../layers/src/compose/compose.ts';
import type { BuildJob } from '../../layers/src/compose/jobs.ts';
import type { ComposeStore } from '../../layers/src/ports/compose-store.ts';
import type { QueueMessage } from '../../layers/src/ports/job-queue.ts';

export type ClaimOutcome =
  | { kind: 'claimed'; compose: Compose; takeover: boolean }
  /** The message has nothing left to do: delete it. */
  | { kind: 'drop'; reason: string }
  /** Not ours to build now: keep the message in flight for `delaySeconds`, then look again. */
  | { kind: 'later'; reason: string; delaySeconds?: number }
  /** An older delivery of a message a newer delivery owns: leave the message alone (our receipt is stale). */
  | { kind: 'ignore'; reason: string };

export interface ClaimOptions {
  /** An owner whose last heartbeat is older than this stopped: a newer delivery of its job may take over. */
  staleAfterMs: number;
  now?: () => Date;
}

/**
 * Makes this delivery the compose's only builder, with conditional writes so two runners can never both win:
 * `queued → building` for a fresh job; `building|uploading → building` only for a newer delivery of the *same*
 * message whose owner stopped heartbeating. Every claim starts a new attempt (`attempt + 1`), so an attempt's logs and
 * artifacts never overwrite an earlier one's, even when an interrupted build comes back as a fresh message.
 */
export async function claimCompose(
  store: ComposeStore,
  message: QueueMessage<BuildJob>,
  runnerId: string,
  options: ClaimOptions,
): Promise<ClaimOutcome> {
  const { orgId, composeId } = message.body;
  const now = options.now ?? (() => new Date());
  const compose = await store.get(orgId, composeId);
  if (!compose) return { kind: 'drop', reason: 'compose does not exist' };
  if (isFinalState(compose.state)) return { kind: 'drop', reason: `compose already ${compose.state}` };
  if (compose.state === 'pending') return { kind: 'later', reason: 'compose still pending its manifest' };
  const owner = {
    runnerId,
    attempt: compose.attempt + 1,
    delivery: message.receiveCount,
    jobMessageId: message.id,
    startedAt: now().toISOString(),
    heartbeatAt: now().toISOString(),
    progress: { done: 0, total: 0 },
  };
  if (compose.state === 'queued') {
    // attemptBelow: nobody claimed (and handed back) the compose between our read and this write.
    const claimed = await store.transition(orgId, composeId, { from: ['queued'], to: 'building', set: owner, attemptBelow: owner.attempt });
    if (claimed) return { kind: 'claimed', compose: claimed, takeover: false };
    return { kind: 'later', reason: 'compose changed while claiming' };
  }

  if (compose.jobMessageId !== message.id) {
    // A second build job for the same compose (the manifest worker was redelivered): the owner's job builds it.
    return { kind: 'drop', reason: `compose is owned by build job ${compose.jobMessageId ?? '(none)'}` };
  }
  const ownerDelivery = compose.delivery ?? compose.attempt;
  if (ownerDelivery >= message.receiveCount) {
    // Same delivery seen twice (should not happen) or an even newer one already owns it.
    return { kind: 'ignore', reason: `delivery ${ownerDelivery} of this job already owns the compose` };
  }
  const staleBefore = new Date(now().getTime() - options.staleAfterMs).toISOString();
  if (compose.heartbeatAt !== undefined && compose.heartbeatAt >= staleBefore) {
    // The queue handed the message out again (a duplicate, or the owner's visibility extension failed) while its
    // runner still heartbeats: keep the message in flight and look again once a dead owner would show.
    return {
      kind: 'later',
      reason: `runner ${compose.runnerId ?? '(unknown)'} is building it (heartbeat ${compose.heartbeatAt})`,
      delaySeconds: Math.ceil(options.staleAfterMs / 1000),
    };
  }
  const taken = await store.transition(orgId, composeId, {
    from: ['building', 'uploading'],
    to: 'building',
    set: owner,
    jobMessageId: message.id,
    attemptBelow: owner.attempt,
    deliveryBelow: message.receiveCount,
    heartbeatBefore: staleBefore,
  });
  if (taken) return { kind: 'claimed', compose: taken, takeover: true };
  return { kind: 'later', reason: 'compose changed while taking over' };
}
