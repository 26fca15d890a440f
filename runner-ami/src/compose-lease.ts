/**
 * This run's hold on its compose: the heartbeat (message visibility and `heartbeatAt`), progress writes, and the
 * watch that stops the run when the compose was cancelled, taken over, or the store stayed silent too long.
 */
import type { Compose, ComposePatch } from '../../layers/src/compose/compose.ts';
import type { Logger } from '../../layers/src/log/logger.ts';
import type { BuildProgress } from './build-progress.ts';
import type { JobMessage } from './job-message.ts';
import type { RunnerDeps, StopRequest } from './run-context.ts';

/** Where the compose stands for this run: still its own, cancelled while it was (by the API), or someone else's. */
export type Standing = 'ours' | 'cancelled' | 'lost';

export class ComposeLease {
  private readonly timers: NodeJS.Timeout[] = [];
  private ended = false;
  private ticking = false;
  private heartbeatInFlight = false;
  /** When a heartbeat was last recorded in the store (ms). */
  private heartbeatRecordedAt = Date.now();
  /** The newest `heartbeatAt` this run ever sent: a write stuck in a partition may still land with it. */
  private heartbeatSentAt = Date.now();

  constructor(
    private readonly deps: Pick<RunnerDeps, 'store' | 'config'>,
    private readonly job: JobMessage,
    private readonly compose: Compose,
    private readonly progress: BuildProgress,
    private readonly log: Logger,
    /** Asks the run to stop; the run ignores it once it is done or already stopping. */
    private readonly stop: (request: StopRequest) => void,
  ) {}

  start(): void {
    const { heartbeatSeconds, progressIntervalMs } = this.deps.config;
    this.timers.push(setInterval(() => void this.heartbeat(), heartbeatSeconds * 1000));
    this.timers.push(setInterval(() => void this.tick(), Math.min(progressIntervalMs, 2000)));
  }

  /** No more heartbeats, progress or checks: the run recorded its end or is stopping. */
  end(): void {
    this.ended = true;
    for (const timer of this.timers) clearInterval(timer);
  }

  /** Conditions that make a transition land only while this delivery's attempt owns the compose. */
  ownership() {
    return { runnerId: this.deps.config.runnerId, jobMessageId: this.job.message.id, attemptBelow: this.compose.attempt + 1 };
  }

  /** A `heartbeatAt` to send with a write (remembered: see `secondsUntilTakeover`). */
  stamp(at = Date.now()): string {
    this.heartbeatSentAt = Math.max(this.heartbeatSentAt, at);
    return new Date(at).toISOString();
  }

  /** Reads the compose and says whether it is still ours, was cancelled under us, or went to someone else. */
  async standing(): Promise<Standing> {
    const current = await this.deps.store.get(this.compose.orgId, this.compose.id);
    if (!current || !this.sameOwner(current)) return 'lost';
    if (current.state === 'building' || current.state === 'uploading') return 'ours';
    return current.state === 'cancelled' ? 'cancelled' : 'lost';
  }

  /**
   * Seconds until another delivery may take the compose over (the last heartbeat this run sent goes stale), plus one:
   * a run that stopped because the store was silent shows its message again then, not a whole visibility timeout later
   * (and not before, when the claim would only have to wait again).
   */
  secondsUntilTakeover(now = Date.now()): number {
    const staleAt = this.heartbeatSentAt + this.deps.config.staleAfterSeconds * 1000;
    return Math.max(0, Math.ceil((staleAt - now) / 1000) + 1);
  }

  private sameOwner(compose: Compose): boolean {
    return (
      compose.runnerId === this.deps.config.runnerId && compose.jobMessageId === this.job.message.id && compose.attempt === this.compose.attempt
    );
  }

  /**
   * A write that only lands while this runner owns the compose. A patch (not a building → building transition, which
   * the store would record in the compose's history) conditioned on state and runner, then checked for this delivery.
   */
  private async ownedWrite(set: ComposePatch): Promise<boolean> {
    // Both owned states: a tick may race the building → uploading transition of this same run.
    const patched = await this.deps.store.patch(this.compose.orgId, this.compose.id, set, {
      state: ['building', 'uploading'],
      runnerId: this.deps.config.runnerId,
    });
    return patched !== undefined && this.sameOwner(patched);
  }

  private stopFor(standing: Standing, why: string): void {
    if (this.ended) return;
    if (standing === 'cancelled') this.stop({ kind: 'cancel' });
    else if (standing === 'lost') this.stop({ kind: 'lost', reason: `the compose is no longer ours (${why})` });
  }

  /** Keeps the message invisible to other runners and tells the reaper we are alive. */
  private async heartbeat(): Promise<void> {
    if (this.ended) return;
    try {
      await this.job.extend(this.deps.config.visibilitySeconds);
    } catch (error) {
      // The next tick finds out whether another delivery took the compose over.
      this.log.warn('could not extend the job visibility', { error });
    }
    // One write at a time: writes piling up behind a partition would all land when it heals, each a later heartbeat.
    if (this.heartbeatInFlight || this.ended) return;
    this.heartbeatInFlight = true;
    try {
      const at = Date.now();
      if (await this.ownedWrite({ heartbeatAt: this.stamp(at) })) this.heartbeatRecordedAt = at;
      else this.stopFor(await this.standing(), 'heartbeat');
    } catch (error) {
      this.log.warn('could not record the heartbeat', { error });
    } finally {
      this.heartbeatInFlight = false;
    }
  }

  /** Progress (when it changed), cancellation and ownership, at most every 2 s. */
  private async tick(): Promise<void> {
    if (this.ended) return;
    // Checked before the in-flight guard: a store call that hangs (a partition) must not keep osbuild running.
    const silentMs = Date.now() - this.heartbeatRecordedAt;
    if (silentMs > this.deps.config.selfStopAfterSeconds * 1000) {
      // Soon another runner may take the build over: stop ours rather than build twice.
      const reason = `no heartbeat recorded for ${Math.round(silentMs / 1000)} s (store unreachable)`;
      this.stop({ kind: 'lost', reason, storeSilent: true });
      return;
    }
    if (this.ticking) return;
    this.ticking = true;
    try {
      const progress = this.progress.takeChange();
      const written = progress !== undefined && (await this.ownedWrite({ progress }));
      const standing = written ? 'ours' : await this.standing();
      this.stopFor(standing, 'progress');
    } catch (error) {
      this.log.warn('progress update failed', { error });
    } finally {
      this.ticking = false;
    }
  }
}
