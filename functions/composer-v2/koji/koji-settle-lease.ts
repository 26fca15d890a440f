/**
 * The claim on settling a compose's Koji build is a lease (ComposeStore.claimTask with an owner and a duration), so a
 * settler that dies mid-import does not leave the build reserved for ever: its lease runs out and the next settler
 * (the workers' next sweep, a retried or waiting status-events invocation) takes it over. A live settler renews its
 * lease while it uploads, and stops without importing or recording anything when it finds it taken over.
 */
import { randomUUID } from 'node:crypto';
import type { Compose } from '../../../layers/src/compose/compose.ts';
import type { TaskLease } from '../../../layers/src/ports/compose-store.ts';
import type { ServiceDeps } from '../../../layers/src/service/deps.ts';

/** The compose store task that makes one settler at a time, and one import in all, settle a compose's Koji build. */
export const KOJI_SETTLE_TASK = 'koji-settle';
/** How long a settler's claim lasts without renewal; renewed every third of it while the import runs. */
export const KOJI_SETTLE_LEASE_SECONDS = 120;
/** How long the status-events function waits for another settler's lease before it has the stream retry the record. */
export const KOJI_SETTLE_WAIT_SECONDS = 2 * KOJI_SETTLE_LEASE_SECONDS;

/** The settler's lease was taken over by another (it stalled longer than the lease): it must stop. */
export class KojiLeaseLostError extends Error {
  constructor(composeId: string, owner: string) {
    super(`the Koji settle lease of compose ${composeId} held by ${owner} was taken over`);
    this.name = 'KojiLeaseLostError';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One settler's lease on one compose's Koji build. */
export class KojiSettleClaim {
  readonly lease: TaskLease;
  private renewedAt = 0;

  constructor(
    private readonly deps: Pick<ServiceDeps, 'store'>,
    private readonly compose: Pick<Compose, 'orgId' | 'id'>,
    lease: Partial<TaskLease> = {},
  ) {
    this.lease = { owner: lease.owner ?? randomUUID(), seconds: lease.seconds ?? KOJI_SETTLE_LEASE_SECONDS };
  }

  /** Takes the lease (no claim, or a claim run out) or renews it (already ours); false while another owner's runs. */
  async claim(): Promise<boolean> {
    const taken = await this.deps.store.claimTask(this.compose.orgId, this.compose.id, KOJI_SETTLE_TASK, this.lease);
    if (taken) this.renewedAt = Date.now();
    return taken;
  }

  /** Renews the lease once a third of it has passed (at once with `now`); throws KojiLeaseLostError when it was taken over. */
  async keep(now = false): Promise<void> {
    if (!now && Date.now() - this.renewedAt < (this.lease.seconds * 1000) / 3) return;
    if (!(await this.claim())) throw new KojiLeaseLostError(this.compose.id, this.lease.owner);
  }

  /**
   * Waits while another settler holds the lease: true once this one has it (the other's ran out), false when
   * `settled()` says the build needs nothing more or `maxSeconds` have passed.
   */
  async waitForLease(settled: () => Promise<boolean>, maxSeconds: number): Promise<boolean> {
    const deadline = Date.now() + maxSeconds * 1000;
    const step = Math.min(5000, Math.max(20, (this.lease.seconds * 1000) / 4));
    while (Date.now() < deadline) {
      await sleep(step);
      if (await settled()) return false;
      if (await this.claim()) return true;
    }
    return false;
  }

  /** The chunks of `source`, the lease kept between them (an upload that stalls past the lease then stops). */
  async *keeping(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      await this.keep();
      yield chunk;
    }
  }
}
