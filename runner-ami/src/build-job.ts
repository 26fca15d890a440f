import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { artifactPrefix } from '../../layers/src/compose/blob-keys.ts';
import type { BuildResult, Compose, ComposeError, ComposePatch, ComposeProgress } from '../../layers/src/compose/compose.ts';
import { ComposeErrorId, composeError } from '../../layers/src/compose/compose-errors.ts';
import { isComposeJob, type BuildJob } from '../../layers/src/compose/jobs.ts';
import type { Logger } from '../../layers/src/log/logger.ts';
import type { BlobStore } from '../../layers/src/ports/blob-store.ts';
import type { ComposeStore } from '../../layers/src/ports/compose-store.ts';
import type { JobQueue, QueueMessage } from '../../layers/src/ports/job-queue.ts';
import { markBuildDir } from './build-dirs.ts';
import { claimCompose } from './claim.ts';
import type { RunnerConfig } from './config.ts';
import { diskSpaceOf, evictStoreObjects, formatBytes, imageSizeOf, requiredFreeBytes } from './disk-space.ts';
import type { BuildProtection } from './instance-protection.ts';
import { LogChunkWriter } from './log-writer.ts';
import { checkpointsOf, osbuildBuildArgs, type OsbuildCommand, type OsbuildProbe } from './osbuild-command.ts';
import type { MonitorEvent } from './osbuild-monitor.ts';
import { classifyOsbuildResult, type OsbuildOutcome } from './osbuild-result.ts';
import { startOsbuild, type OsbuildExit, type OsbuildProcess } from './run-osbuild.ts';
import { listExportedFiles, uploadArtifacts } from './upload.ts';

export interface RunnerDeps {
  store: ComposeStore;
  blobs: BlobStore;
  queue: JobQueue;
  config: RunnerConfig;
  log: Logger;
  osbuild: { command: OsbuildCommand; probe: OsbuildProbe };
  protection: BuildProtection;
  /** Builds running on this agent right now (including the caller). */
  activeBuilds: () => number;
  /** First upload retry delay (tests shorten it). */
  uploadBackoffMs?: number;
  /** Observability hooks (benchmarks). */
  hooks?: { osbuildStarted?: (composeId: string) => void };
}

export type StopRequest = { kind: 'cancel' } | { kind: 'handback'; reason: string } | { kind: 'lost'; reason: string };

export type JobOutcome =
  | 'success'
  | 'failure'
  | 'cancelled'
  | 'handed-back'
  | 'retry'
  | 'lost'
  | 'dropped'
  | 'later'
  | 'ignored';

/** Seconds a not-yet-buildable job waits before the queue offers it again. */
const LATER_SECONDS = 2;
const SUMMARY_TAIL_LINES = 20;

/** One delivery of one build job on this runner: claim, build, upload, record – or hand back. */
export class BuildJobRun {
  private stopRequest?: StopRequest;
  private osbuild?: OsbuildProcess;
  private readonly abort = new AbortController();
  private compose?: Compose;
  private phase: 'claiming' | 'building' | 'uploading' | 'done' = 'claiming';
  private progress: ComposeProgress = { done: 0, total: 0 };
  private progressDirty = false;
  private logWriter?: LogChunkWriter;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly log: Logger;
  private ticking = false;
  /** When this run last recorded its heartbeat in the store (ms). */
  private heartbeatRecordedAt = 0;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly queueName: string,
    private readonly message: QueueMessage<BuildJob>,
  ) {
    this.log = deps.log.child({ queue: queueName, messageId: message.id, receiveCount: message.receiveCount, ...jobIds(message.body) });
  }

  get composeId(): string | undefined {
    return this.compose?.id;
  }

  /** Asks the run to stop: cancel (user), hand back (shutdown, spot notice) or lost (another delivery owns it). */
  stop(request: StopRequest): void {
    if (this.stopRequest || this.phase === 'done') return;
    this.stopRequest = request;
    this.log.info('stopping build', { request });
    this.abort.abort(new Error(`build stopped: ${request.kind}`));
    void this.osbuild?.stop();
  }

  async run(): Promise<JobOutcome> {
    const { body } = this.message;
    if (!isComposeJob(body) || body.kind !== 'build') {
      this.log.warn('dropping a message that is not a build job', { body });
      await this.deleteMessage();
      return 'dropped';
    }
    const claim = await claimCompose(this.deps.store, this.message, this.deps.config.runnerId, {
      staleAfterMs: this.deps.config.staleAfterSeconds * 1000,
    });
    if (claim.kind !== 'claimed') {
      this.log.info('build job not claimed', { outcome: claim.kind, reason: claim.reason });
      this.phase = 'done';
      if (claim.kind === 'drop') await this.deleteMessage();
      if (claim.kind === 'later') await this.changeVisibility(claim.delaySeconds ?? LATER_SECONDS);
      return claim.kind === 'drop' ? 'dropped' : claim.kind === 'later' ? 'later' : 'ignored';
    }
    this.compose = claim.compose;
    this.heartbeatRecordedAt = Date.now();
    this.phase = 'building';
    this.log.info('compose claimed', { takeover: claim.takeover, attempt: this.attempt });
    await this.deps.protection.acquire();
    this.logWriter = new LogChunkWriter({
      blobs: this.deps.blobs,
      orgId: this.compose.orgId,
      composeId: this.compose.id,
      attempt: this.attempt,
      flushIntervalMs: this.deps.config.progressIntervalMs,
      log: this.log,
    });
    this.startTimers();
    try {
      return await this.build();
    } catch (error) {
      this.log.error('build job failed unexpectedly', { error });
      // `return await`: the finally block below awaits, and a bare returned promise that rejected meanwhile would be an
      // unhandled rejection (which ends the agent).
      if (this.stopRequest) return await this.finishStopped();
      return await this.failOrRetry(composeError(ComposeErrorId.Internal, `runner error: ${errorText(error)}`), true);
    } finally {
      this.phase = 'done';
      for (const timer of this.timers) clearInterval(timer);
      await this.logWriter.close().catch(() => {});
      await rm(this.buildDir, { recursive: true, force: true }).catch((error: unknown) =>
        this.log.warn('could not remove the build directory', { error, dir: this.buildDir }),
      );
      await this.deps.protection.release();
    }
  }

  /** Read through a method so TypeScript does not narrow `phase` across awaits. */
  private isDone(): boolean {
    return this.phase === 'done';
  }

  /** The compose's attempt this run started (monotonic across deliveries and fresh messages). */
  private get attempt(): number {
    return this.compose?.attempt ?? 0;
  }

  /** Receives of this job's message: retries reuse the message, so this bounds them like the dead-letter queue does. */
  private get delivery(): number {
    return this.message.receiveCount;
  }

  private get buildDir(): string {
    return join(this.deps.config.workDir, 'builds', `${this.message.body.composeId}-${this.attempt}`);
  }

  private async build(): Promise<JobOutcome> {
    const compose = this.compose!;
    const { config, osbuild } = this.deps;
    this.logLine(`==> compose ${compose.id} attempt ${this.attempt} on runner ${config.runnerId}`);
    if (this.stopRequest) return this.finishStopped();
    if (!osbuild.probe.ok) {
      this.logLine(`==> ${osbuild.probe.reason}`);
      return this.fail(composeError(ComposeErrorId.OsbuildMissing, osbuild.probe.reason));
    }

    if (!compose.manifestKey || !compose.exports?.length) {
      return this.fail(composeError(ComposeErrorId.Internal, 'the compose has no manifest to build'));
    }
    const stream = await this.deps.blobs.get(compose.manifestKey);
    if (!stream) return this.fail(composeError(ComposeErrorId.Internal, `manifest ${compose.manifestKey} is missing`));
    const manifestText = await text(stream);
    const manifest = JSON.parse(manifestText) as unknown;
    if (this.stopRequest) return this.finishStopped();

    // The manifest's disk can exceed a requested size (the image type's minimum) and holds the default size.
    const space = await this.ensureDiskSpace(Math.max(compose.spec.size, imageSizeOf(manifest)));
    if (space) return this.fail(space);

    const outputDirectory = join(this.buildDir, 'out');
    const storeDir = join(config.workDir, 'store');
    await rm(this.buildDir, { recursive: true, force: true });
    await mkdir(outputDirectory, { recursive: true });
    await markBuildDir(this.buildDir);
    await mkdir(storeDir, { recursive: true });
    const args = osbuildBuildArgs({
      exports: compose.exports,
      outputDirectory,
      store: storeDir,
      cacheMaxSize: config.cacheMaxSize,
      checkpoints: checkpointsOf(manifest),
    });
    this.logLine(`==> ${[osbuild.command.file, ...osbuild.command.args, ...args].join(' ')}`);
    this.osbuild = startOsbuild({
      command: osbuild.command,
      args,
      manifest: manifestText,
      cwd: this.buildDir,
      onEvent: (event) => this.onMonitorEvent(event),
      onStderr: (chunk) => this.logWriter?.append(chunk),
      killGraceSeconds: config.killGraceSeconds,
    });
    this.deps.hooks?.osbuildStarted?.(compose.id);
    // A stop that arrived while osbuild was starting must still reach it.
    if (this.stopRequest) void this.osbuild.stop();
    const exit = await this.osbuild.exited;
    this.log.info('osbuild exited', { exitCode: exit.exitCode, signal: exit.signal });
    if (this.stopRequest) return this.finishStopped();
    if (exit.spawnError) {
      return this.fail(composeError(ComposeErrorId.OsbuildMissing, `osbuild could not be started: ${exit.spawnError}`));
    }
    const outcome = classifyOsbuildResult({ exitCode: exit.exitCode, signal: exit.signal, stdout: exit.stdout, stderr: exit.stderr, manifest });
    if (outcome.kind !== 'success') return this.handleBuildFailure(outcome, exit);
    return this.upload(outputDirectory, compose.exports);
  }

  private async upload(outputDirectory: string, exports: string[]): Promise<JobOutcome> {
    const compose = this.compose!;
    this.progress = { ...this.progress, done: this.progress.total, subprogress: undefined, stage: undefined };
    const uploading = await this.deps.store.transition(compose.orgId, compose.id, {
      from: ['building'],
      to: 'uploading',
      set: { progress: this.progress, heartbeatAt: new Date().toISOString() },
      ...this.ownership(),
    });
    if (!uploading) return this.lostOwnership('could not move the compose to uploading');
    this.phase = 'uploading';
    this.progressDirty = false;
    const files = await listExportedFiles(outputDirectory, exports);
    if (files.length === 0) return this.fail(composeError(ComposeErrorId.BuildFailed, `osbuild exported no files for ${exports.join(', ')}`));
    this.logLine(`==> uploading ${files.map((f) => `${f.name} (${formatBytes(f.size)})`).join(', ')}`);
    const prefix = artifactPrefix(compose.orgId, compose.id, this.attempt);
    let artifacts;
    try {
      artifacts = await uploadArtifacts(files, {
        blobs: this.deps.blobs,
        prefix,
        attempts: this.deps.config.uploadAttempts,
        backoffMs: this.deps.uploadBackoffMs ?? 1000,
        signal: this.abort.signal,
        log: this.log,
      });
    } catch (error) {
      if (this.stopRequest) return this.finishStopped();
      this.logLine(`==> ${errorText(error)}`);
      return this.failOrRetry(composeError(ComposeErrorId.Upload, errorText(error)), true);
    }
    if (this.stopRequest) return this.finishStopped();
    this.logLine(`==> success: ${artifacts.map((a) => `${a.name} sha256:${a.sha256}`).join(', ')}`);
    await this.flushLog();
    const done = await this.deps.store.transition(compose.orgId, compose.id, {
      from: ['uploading'],
      to: 'success',
      set: { artifacts, finishedAt: new Date().toISOString(), result: { success: true }, progress: this.progress },
      ...this.ownership(),
    });
    if (!done) return this.lostOwnership('could not record success');
    this.phase = 'done';
    await this.deleteMessage();
    await this.removeOtherAttempts(prefix);
    this.log.info('compose built', { artifacts: artifacts.map((a) => ({ key: a.key, size: a.size })) });
    return 'success';
  }

  private handleBuildFailure(outcome: Exclude<OsbuildOutcome, { kind: 'success' }>, exit: OsbuildExit): Promise<JobOutcome> {
    this.logLine(`==> osbuild failed (exit ${exit.exitCode ?? exit.signal}): ${outcome.message}`);
    switch (outcome.kind) {
      case 'stage-failure':
        // A failing stage fails again on the same manifest: no retry.
        return this.fail(
          composeError(ComposeErrorId.BuildFailed, outcome.message, {
            stage: outcome.stage.type,
            stageId: outcome.stage.id,
            pipeline: outcome.pipeline,
            outputTail: outcome.outputTail.slice(-SUMMARY_TAIL_LINES),
          }),
          { failedStage: outcome.stage.type, failedPipeline: outcome.pipeline ?? undefined },
        );
      case 'source-failure': {
        const where = outcome.url ?? outcome.checksum ?? outcome.sourceType;
        const error = composeError(ComposeErrorId.SourceDownload, `could not download ${where}: ${outcome.error}`, {
          sourceType: outcome.sourceType,
          url: outcome.url,
          checksum: outcome.checksum,
        });
        return outcome.permanent ? this.fail(error) : this.failOrRetry(error, false);
      }
      case 'manifest-invalid':
        // osbuild exit 2: the manifest will never build; retrying cannot help.
        return this.fail(composeError(ComposeErrorId.ManifestInvalid, outcome.message, { errors: outcome.errors.slice(0, 20) }));
      case 'cancelled':
        // Nobody here asked osbuild to stop (OOM killer, operator): the machine, not the manifest, is suspect.
        return this.failOrRetry(composeError(ComposeErrorId.BuildFailed, outcome.message), false);
      case 'other': {
        const error = composeError(ComposeErrorId.BuildFailed, outcome.message, {
          reason: outcome.reason,
          exitCode: outcome.exitCode,
          stderrTail: outcome.stderrTail.slice(-SUMMARY_TAIL_LINES),
        });
        return outcome.permanent ? this.fail(error) : this.failOrRetry(error, false);
      }
    }
  }

  private async ensureDiskSpace(imageSize: number): Promise<ComposeError | undefined> {
    const { workDir, minFreeBytes } = this.deps.config;
    const required = requiredFreeBytes(minFreeBytes, imageSize);
    let { free } = await diskSpaceOf(workDir);
    if (free >= required) return undefined;
    if (this.deps.activeBuilds() <= 1) {
      // Only we use the store right now, so evicting cached trees cannot break another osbuild.
      const freed = await evictStoreObjects(join(workDir, 'store'), required - free);
      if (freed > 0) this.logLine(`==> evicted ${formatBytes(freed)} from the build cache`);
      ({ free } = await diskSpaceOf(workDir));
      if (free >= required) return undefined;
    }
    const reason = `not enough disk space on the runner: ${formatBytes(free)} free in ${workDir}, ${formatBytes(required)} needed`;
    this.logLine(`==> ${reason}`);
    return composeError(ComposeErrorId.DiskSpace, reason, { free, required });
  }

  private onMonitorEvent(event: MonitorEvent): void {
    switch (event.type) {
      case 'log':
        this.logWriter?.line(event.line.text);
        return;
      case 'progress':
        if (event.progress) {
          this.progress = {
            ...this.progress,
            done: event.progress.done,
            total: event.progress.total,
            subprogress: event.subProgress ? { done: event.subProgress.done, total: event.subProgress.total } : undefined,
          };
          this.progressDirty = true;
        }
        return;
      case 'pipeline-started':
        this.progress = { ...this.progress, pipeline: event.name, stage: undefined };
        this.progressDirty = true;
        return;
      case 'stage-started':
        this.progress = { ...this.progress, pipeline: event.pipeline ?? this.progress.pipeline, stage: event.stage };
        this.progressDirty = true;
        return;
      default:
    }
  }

  private startTimers(): void {
    const { heartbeatSeconds, progressIntervalMs } = this.deps.config;
    this.timers.push(setInterval(() => void this.heartbeat(), heartbeatSeconds * 1000));
    this.timers.push(setInterval(() => void this.tick(), Math.min(progressIntervalMs, 2000)));
  }

  /** Keeps the message invisible to other runners and tells the reaper we are alive. */
  private async heartbeat(): Promise<void> {
    if (this.phase === 'done' || this.stopRequest) return;
    try {
      await this.deps.queue.changeVisibility(this.queueName, this.message.receiptHandle, this.deps.config.visibilitySeconds);
    } catch (error) {
      // The next tick finds out whether another delivery took the compose over.
      this.log.warn('could not extend the job visibility', { error });
    }
    try {
      const at = Date.now();
      const updated = await this.ownedWrite({ heartbeatAt: new Date(at).toISOString() });
      if (!updated) this.stop({ kind: 'lost', reason: 'the compose is no longer ours (heartbeat)' });
      else this.heartbeatRecordedAt = at;
    } catch (error) {
      this.log.warn('could not record the heartbeat', { error });
    }
  }

  /** Progress (when it changed), the cancel request and ownership, at most every 2 s. */
  private async tick(): Promise<void> {
    if (this.phase === 'done' || this.stopRequest) return;
    // Checked before the in-flight guard: a store call that hangs (a partition) must not keep osbuild running.
    const silentMs = Date.now() - this.heartbeatRecordedAt;
    if (silentMs > this.deps.config.selfStopAfterSeconds * 1000) {
      // Soon another runner may take the build over: stop ours rather than build twice.
      this.stop({ kind: 'lost', reason: `no heartbeat recorded for ${Math.round(silentMs / 1000)} s (store unreachable)` });
      return;
    }
    if (this.ticking) return;
    this.ticking = true;
    try {
      let current: Compose | undefined;
      if (this.progressDirty && this.phase === 'building') {
        this.progressDirty = false;
        current = await this.ownedWrite({ progress: this.progress });
      } else {
        const read = await this.deps.store.get(this.message.body.orgId, this.message.body.composeId);
        current = read && this.owns(read) ? read : undefined;
      }
      if (this.isDone() || this.stopRequest) return;
      if (!current) this.stop({ kind: 'lost', reason: 'the compose is no longer ours' });
      else if (current.cancelRequestedAt) this.stop({ kind: 'cancel' });
    } catch (error) {
      this.log.warn('progress update failed', { error });
    } finally {
      this.ticking = false;
    }
  }

  private ownership() {
    return { runnerId: this.deps.config.runnerId, jobMessageId: this.message.id, attemptBelow: this.attempt + 1 };
  }

  private owns(compose: Compose): boolean {
    return (
      (compose.state === 'building' || compose.state === 'uploading') &&
      compose.runnerId === this.deps.config.runnerId &&
      compose.jobMessageId === this.message.id &&
      compose.attempt === this.attempt
    );
  }

  /**
   * A write that only lands while this runner owns the compose. A patch (not a building → building transition, which
   * the store would record in the compose's history) conditioned on state and runner, then checked for this delivery.
   */
  private async ownedWrite(set: ComposePatch): Promise<Compose | undefined> {
    const { orgId, composeId } = this.message.body;
    // Both owned states: a tick may race the building → uploading transition of this same run.
    const patched = await this.deps.store.patch(orgId, composeId, set, { state: ['building', 'uploading'], runnerId: this.deps.config.runnerId });
    return patched && this.owns(patched) ? patched : undefined;
  }

  private async finishStopped(): Promise<JobOutcome> {
    const request = this.stopRequest!;
    const compose = this.compose!;
    if (request.kind === 'lost') {
      this.logLine(`==> attempt ${this.attempt} stopped: ${request.reason}`);
      this.log.warn('lost the compose to another delivery', { reason: request.reason });
      await this.removeOwnArtifacts();
      return 'lost';
    }
    if (request.kind === 'cancel') {
      const now = new Date().toISOString();
      this.logLine('==> cancelled');
      await this.flushLog();
      const cancelled = await this.deps.store.transition(compose.orgId, compose.id, {
        from: ['building', 'uploading'],
        to: 'cancelled',
        set: { finishedAt: now, result: { success: false, error: composeError(ComposeErrorId.Cancelled, 'compose was cancelled') } },
        ...this.ownership(),
      });
      if (!cancelled) return this.lostOwnership('could not record the cancellation');
      await this.deleteMessage();
      await this.removeOtherAttempts(undefined);
      return 'cancelled';
    }
    this.logLine(`==> handing the build back: ${request.reason}`);
    return (await this.handBack(request.reason, 0, { fresh: true })) ? 'handed-back' : 'lost';
  }

  /**
   * `→ queued` and the job available again after `delaySeconds`: another runner (or we, later) starts over.
   * A retry reuses the message, so retries count towards the dead-letter limit; a hand-back that is not the build's
   * fault (shutdown, spot interruption) sends a fresh message instead, so interruptions never dead-letter a compose.
   */
  private async handBack(reason: string, delaySeconds: number, options: { fresh?: boolean } = {}): Promise<boolean> {
    const compose = this.compose!;
    const queued = await this.deps.store.transition(compose.orgId, compose.id, {
      from: ['building', 'uploading'],
      to: 'queued',
      set: { requeueReason: reason, progress: { done: 0, total: 0 } },
      ...this.ownership(),
    });
    if (!queued) {
      this.log.warn('could not hand the compose back; it is no longer ours', { reason });
      return false;
    }
    if (options.fresh) {
      try {
        await this.deps.queue.send(this.queueName, this.message.body, { delaySeconds });
        await this.deleteMessage();
      } catch (error) {
        // The old message still returns after its visibility timeout; the compose is queued, so it is rebuilt.
        this.log.warn('could not requeue the build job as a fresh message; it returns by its visibility timeout', { error });
        await this.changeVisibility(delaySeconds);
      }
    } else {
      try {
        await this.deps.queue.changeVisibility(this.queueName, this.message.receiptHandle, delaySeconds);
      } catch (error) {
        // Our receipt is stale (the queue handed the message out again, or it was dead-lettered meanwhile): a fresh
        // message keeps the queued compose from waiting for nothing; a duplicate one is dropped by the claim.
        this.log.warn('could not delay the build job; sending a fresh one', { error });
        await this.deps.queue.send(this.queueName, this.message.body, { delaySeconds });
      }
    }
    this.log.info('build handed back', { reason, delaySeconds, fresh: Boolean(options.fresh) });
    return true;
  }

  private async failOrRetry(error: ComposeError, internal: boolean): Promise<JobOutcome> {
    if (this.delivery < this.deps.config.maxAttempts) {
      const delay = Math.min(300, this.deps.config.retryDelaySeconds * this.delivery);
      this.logLine(`==> attempt ${this.attempt} failed, retrying in ${delay}s: ${error.reason}`);
      if (await this.handBack(`attempt ${this.attempt} failed: ${error.reason}`, delay)) return 'retry';
      return 'lost';
    }
    if (internal) this.log.error('giving up on the compose', { error });
    return this.fail(error);
  }

  private async fail(error: ComposeError, extra: Partial<BuildResult> = {}): Promise<JobOutcome> {
    const compose = this.compose!;
    this.logLine(`==> failed: ${error.reason}`);
    await this.flushLog();
    const failed = await this.deps.store.transition(compose.orgId, compose.id, {
      from: ['building', 'uploading'],
      to: 'failure',
      set: { finishedAt: new Date().toISOString(), result: { success: false, ...extra, error } },
      ...this.ownership(),
    });
    if (!failed) return this.lostOwnership('could not record the failure');
    this.phase = 'done';
    this.log.warn('compose failed', { error });
    await this.deleteMessage();
    return 'failure';
  }

  private async lostOwnership(what: string): Promise<JobOutcome> {
    this.log.warn(`${what}: the compose is no longer owned by this delivery`);
    await this.removeOwnArtifacts();
    return 'lost';
  }

  /**
   * A run that lost the compose after uploading leaves no objects behind: its attempt number is its own, so nothing
   * under its prefix belongs to the attempt that owns the compose now (whose cleanup may already have run).
   */
  private async removeOwnArtifacts(): Promise<void> {
    if (this.attempt === 0) return;
    const { orgId, composeId } = this.message.body;
    try {
      // A success write whose answer was lost may have landed: never delete the artifacts a compose records.
      const current = await this.deps.store.get(orgId, composeId);
      if (!current || current.attempt === this.attempt) return;
      for (const blob of await this.deps.blobs.list(artifactPrefix(orgId, composeId, this.attempt))) await this.deps.blobs.delete(blob.key);
    } catch (error) {
      this.log.warn('could not remove the artifacts of a lost attempt', { error });
    }
  }

  /** Artifacts of earlier attempts (a runner that died mid-upload) must not linger beside the recorded set. */
  private async removeOtherAttempts(keep: string | undefined): Promise<void> {
    const { orgId, composeId } = this.message.body;
    const base = artifactPrefix(orgId, composeId, 0).replace(/0\/$/, '');
    try {
      for (const blob of await this.deps.blobs.list(base)) {
        if (keep === undefined || !blob.key.startsWith(keep)) await this.deps.blobs.delete(blob.key);
      }
    } catch (error) {
      this.log.warn('could not remove artifacts of earlier attempts', { error });
    }
  }

  /** The log is complete before the compose says it is finished (the API reports `complete` from the state). */
  private async flushLog(): Promise<void> {
    await this.logWriter?.flush().catch(() => {});
  }

  private logLine(line: string): void {
    this.logWriter?.line(line);
  }

  private async deleteMessage(): Promise<void> {
    try {
      await this.deps.queue.delete(this.queueName, this.message.receiptHandle);
    } catch (error) {
      this.log.warn('could not delete the build job', { error });
    }
  }

  private async changeVisibility(seconds: number): Promise<void> {
    try {
      await this.deps.queue.changeVisibility(this.queueName, this.message.receiptHandle, seconds);
    } catch (error) {
      this.log.warn('could not change the job visibility', { error, seconds });
    }
  }
}

const jobIds = (body: unknown): Record<string, unknown> =>
  isComposeJob(body) ? { orgId: body.orgId, composeId: body.composeId } : {};

const errorText = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
};
