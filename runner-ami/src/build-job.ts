/**
 * One delivery of one build job on this runner, as a short sequence: claim → osbuild → classify → upload. The lease
 * (heartbeat, progress, cancel and ownership watch), the settle steps (fail, retry, hand back, let go) and the
 * artifact clean-up are modules of their own.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { artifactPrefix } from '../../layers/src/compose/blob-keys.ts';
import type { Artifact, Compose, ComposeError } from '../../layers/src/compose/compose.ts';
import type { AwsUploadResult } from '../../layers/src/upload/aws-target.ts';
import { AmiError } from './ami/ami-errors.ts';
import { publishComposeAmi, removeComposeAmis } from './ami/ami-upload-step.ts';
import { ComposeErrorId, composeError } from '../../layers/src/compose/compose-errors.ts';
import { isComposeJob, readComposeJob, type BuildJob } from '../../layers/src/compose/jobs.ts';
import type { Logger } from '../../layers/src/log/logger.ts';
import type { QueueMessage } from '../../layers/src/ports/job-queue.ts';
import { removeOtherAttempts } from './artifact-cleanup.ts';
import { storeDirOf } from './build-cache.ts';
import { markBuildDir } from './build-dirs.ts';
import { buildFailureOf } from './build-failure.ts';
import { BuildProgress } from './build-progress.ts';
import { claimCompose, type ClaimOutcome } from './claim.ts';
import { ComposeLease } from './compose-lease.ts';
import { ensureDiskSpace, formatBytes, imageSizeOf } from './disk-space.ts';
import { JobMessage } from './job-message.ts';
import { LogChunkWriter } from './log-writer.ts';
import { checkpointsOf, osbuildBuildArgs } from './osbuild-command.ts';
import { classifyOsbuildResult } from './osbuild-result.ts';
import { errorText, type JobOutcome, type RunContext, type RunnerDeps, type StopRequest } from './run-context.ts';
import { startOsbuild, type OsbuildExit, type OsbuildProcess } from './run-osbuild.ts';
import { fail, failOrRetry, flushBuildLog, recordedResult, settleRefused, settleStopped, settleUnexpected } from './settle.ts';
import { listExportedFiles, uploadArtifacts } from './upload.ts';

export type { JobOutcome, RunnerDeps, StopRequest } from './run-context.ts';

/** Seconds a not-yet-buildable job waits before the queue offers it again. */
const LATER_SECONDS = 2;

interface PreparedBuild {
  manifest: unknown;
  manifestText: string;
  outputDirectory: string;
  /** This organization's osbuild store: no build reuses objects another organization's build produced. */
  store: string;
}

export class BuildJobRun {
  private stopRequest?: StopRequest;
  /** Set when osbuild was stopped because it ran past IBS_BUILD_TIMEOUT_SECONDS. */
  private timedOut = false;
  private osbuild?: OsbuildProcess;
  private readonly abort = new AbortController();
  private readonly job: JobMessage;
  private readonly progress = new BuildProgress();
  private ctx?: RunContext;
  private done = false;
  private readonly log: Logger;

  constructor(
    private readonly deps: RunnerDeps,
    queueName: string,
    private readonly message: QueueMessage<BuildJob>,
  ) {
    this.log = deps.log.child({ queue: queueName, messageId: message.id, receiveCount: message.receiveCount, ...jobIds(message.body) });
    this.job = new JobMessage(deps.queue, queueName, message, this.log);
  }

  get composeId(): string | undefined {
    return this.ctx?.compose.id;
  }

  /** Asks the run to stop: cancel (user), hand back (shutdown, spot notice) or lost (another delivery owns it). */
  stop(request: StopRequest): void {
    if (this.stopRequest || this.done) return;
    this.stopRequest = request;
    this.ctx?.lease.end();
    this.log.info('stopping build', { request });
    this.abort.abort(new Error(`build stopped: ${request.kind}`));
    void this.osbuild?.stop();
  }

  async run(): Promise<JobOutcome> {
    const reading = readComposeJob(this.message.body, 'build');
    if (!reading.ok && reading.problem === 'unsupported') {
      // Not ours to read (a newer deployment wrote it): left undeleted and unclaimed, it returns until the queue
      // dead-letters it, and the dead-letter handler fails its compose with this reason.
      this.log.warn('build job left for the dead-letter path', { reason: reading.reason });
      this.done = true;
      return 'unsupported';
    }
    if (!reading.ok) {
      this.log.warn('dropping a message that is not a build job', { body: this.message.body, reason: reading.reason });
      await this.job.delete();
      return 'dropped';
    }
    const claim = await claimCompose(this.deps.store, this.message, this.deps.config.runnerId, {
      staleAfterMs: this.deps.config.staleAfterSeconds * 1000,
    });
    if (claim.kind !== 'claimed') return this.notClaimed(claim);
    const ctx = this.begin(claim.compose);
    this.log.info('compose claimed', { takeover: claim.takeover, attempt: ctx.compose.attempt });
    await this.deps.protection.acquire();
    ctx.lease.start();
    const buildDir = join(this.deps.config.workDir, 'builds', `${ctx.compose.id}-${ctx.compose.attempt}`);
    try {
      return await this.build(ctx, buildDir);
    } catch (error) {
      // `return await`: the finally block below awaits, and a bare returned promise that rejected meanwhile would be an
      // unhandled rejection (which ends the agent).
      return await settleUnexpected(ctx, error, this.stopRequest, errorText(error));
    } finally {
      this.done = true;
      ctx.lease.end();
      await ctx.buildLog.close().catch(() => {});
      await rm(buildDir, { recursive: true, force: true }).catch((error: unknown) =>
        this.log.warn('could not remove the build directory', { error, dir: buildDir }),
      );
      await this.deps.protection.release();
    }
  }

  private async notClaimed(claim: Exclude<ClaimOutcome, { kind: 'claimed' }>): Promise<JobOutcome> {
    this.log.info('build job not claimed', { outcome: claim.kind, reason: claim.reason });
    this.done = true;
    if (claim.kind === 'drop') await this.job.delete();
    if (claim.kind === 'later') await this.job.showAgainIn(claim.delaySeconds ?? LATER_SECONDS);
    return claim.kind === 'drop' ? 'dropped' : claim.kind === 'later' ? 'later' : 'ignored';
  }

  private begin(compose: Compose): RunContext {
    const log = this.log;
    const buildLog = new LogChunkWriter({
      blobs: this.deps.blobs,
      orgId: compose.orgId,
      composeId: compose.id,
      attempt: compose.attempt,
      flushIntervalMs: this.deps.config.progressIntervalMs,
      log,
    });
    const lease = new ComposeLease(this.deps, this.job, compose, this.progress, log, (request) => this.stop(request));
    this.ctx = { deps: this.deps, job: this.job, log, compose, lease, buildLog };
    return this.ctx;
  }

  private async build(ctx: RunContext, buildDir: string): Promise<JobOutcome> {
    ctx.buildLog.line(`==> compose ${ctx.compose.id} attempt ${ctx.compose.attempt} on runner ${this.deps.config.runnerId}`);
    const prepared = await this.prepare(ctx, buildDir);
    if (this.stopRequest) return settleStopped(ctx, this.stopRequest);
    if ('reason' in prepared) return fail(ctx, prepared);

    const exit = await this.runOsbuild(ctx, buildDir, prepared);
    if (this.stopRequest) return settleStopped(ctx, this.stopRequest);
    if (this.timedOut) {
      // The build's own fault (or its packages'): another attempt would run as long, so no retry.
      const limit = this.deps.config.buildTimeoutSeconds;
      return fail(ctx, composeError(ComposeErrorId.BuildFailed, `build exceeded the time limit of ${limit} s`, { timeLimitSeconds: limit }));
    }
    if (exit.spawnError) {
      return fail(ctx, composeError(ComposeErrorId.OsbuildMissing, `osbuild could not be started: ${exit.spawnError}`));
    }
    const { exitCode, signal, stdout, stderr } = exit;
    const outcome = classifyOsbuildResult({ exitCode, signal, stdout, stderr, manifest: prepared.manifest });
    if (outcome.kind === 'success') return this.upload(ctx, prepared.outputDirectory);
    ctx.buildLog.line(`==> osbuild failed (exit ${exit.exitCode ?? exit.signal}): ${outcome.message}`);
    const failure = buildFailureOf(outcome);
    return failure.retryable ? failOrRetry(ctx, failure.error, false) : fail(ctx, failure.error, failure.extra);
  }

  /** osbuild usable, the manifest read, disk space ensured, a fresh build directory: or why the build cannot start. */
  private async prepare(ctx: RunContext, buildDir: string): Promise<PreparedBuild | ComposeError> {
    const { compose } = ctx;
    const { probe } = this.deps.osbuild;
    if (!probe.ok) {
      ctx.buildLog.line(`==> ${probe.reason}`);
      return composeError(ComposeErrorId.OsbuildMissing, probe.reason);
    }
    if (!compose.manifestKey || !compose.exports?.length) return composeError(ComposeErrorId.Internal, 'the compose has no manifest to build');
    const stream = await this.deps.blobs.get(compose.manifestKey);
    if (!stream) return composeError(ComposeErrorId.Internal, `manifest ${compose.manifestKey} is missing`);
    const manifestText = await text(stream);
    const manifest = JSON.parse(manifestText) as unknown;
    // The manifest's disk can exceed a requested size (the image type's minimum) and holds the default size.
    const { workDir, minFreeBytes } = this.deps.config;
    const imageSize = Math.max(compose.spec.size, imageSizeOf(manifest));
    const noSpace = await ensureDiskSpace({ workDir, minFreeBytes, imageSize, soleBuild: this.deps.activeBuilds() <= 1, note: (l) => ctx.buildLog.line(l) });
    if (noSpace) return noSpace;
    const outputDirectory = join(buildDir, 'out');
    await rm(buildDir, { recursive: true, force: true });
    await mkdir(outputDirectory, { recursive: true });
    await markBuildDir(buildDir);
    const store = storeDirOf(workDir, compose.orgId);
    await mkdir(store, { recursive: true });
    return { manifest, manifestText, outputDirectory, store };
  }

  private async runOsbuild(ctx: RunContext, buildDir: string, prepared: PreparedBuild): Promise<OsbuildExit> {
    const { config, osbuild } = this.deps;
    const args = osbuildBuildArgs({
      exports: ctx.compose.exports!,
      outputDirectory: prepared.outputDirectory,
      store: prepared.store,
      cacheMaxSize: config.cacheMaxSize,
      checkpoints: checkpointsOf(prepared.manifest),
    });
    ctx.buildLog.line(`==> ${[osbuild.command.file, ...osbuild.command.args, ...args].join(' ')}`);
    this.osbuild = startOsbuild({
      command: osbuild.command,
      args,
      manifest: prepared.manifestText,
      cwd: buildDir,
      onEvent: (event) => (event.type === 'log' ? ctx.buildLog.line(event.line.text) : this.progress.apply(event)),
      onStderr: (chunk) => ctx.buildLog.append(chunk),
      killGraceSeconds: config.killGraceSeconds,
    });
    this.deps.hooks?.osbuildStarted?.(ctx.compose.id);
    // A stop that arrived while osbuild was starting must still reach it.
    if (this.stopRequest) void this.osbuild.stop();
    const limit = setTimeout(() => {
      this.timedOut = true;
      this.log.warn('build exceeded its time limit, stopping osbuild', { buildTimeoutSeconds: config.buildTimeoutSeconds });
      void this.osbuild?.stop();
    }, config.buildTimeoutSeconds * 1000);
    const exit = await this.osbuild.exited.finally(() => clearTimeout(limit));
    this.log.info('osbuild exited', { exitCode: exit.exitCode, signal: exit.signal });
    return exit;
  }

  /** `building → uploading`, the exported files to the BlobStore, `uploading → success`: each record conditional. */
  private async upload(ctx: RunContext, outputDirectory: string): Promise<JobOutcome> {
    const { compose } = ctx;
    const exports = compose.exports!;
    const progress = this.progress.complete();
    const uploading = await this.deps.store.transition(compose.orgId, compose.id, {
      from: ['building'],
      to: 'uploading',
      set: { progress, heartbeatAt: ctx.lease.stamp() },
      ...ctx.lease.ownership(),
    });
    if (!uploading) return settleRefused(ctx, 'could not move the compose to uploading');
    const files = await listExportedFiles(outputDirectory, exports);
    if (files.length === 0) return fail(ctx, composeError(ComposeErrorId.BuildFailed, `osbuild exported no files for ${exports.join(', ')}`));
    ctx.buildLog.line(`==> uploading ${files.map((f) => `${f.name} (${formatBytes(f.size)})`).join(', ')}`);
    const prefix = artifactPrefix(compose.orgId, compose.id, compose.attempt);
    let artifacts: Artifact[] = [];
    let uploadResult: AwsUploadResult | undefined;
    try {
      if (compose.spec.upload?.type === 'aws') {
        // An AMI instead of objects in the bucket (`registering` in the API, with the blocks as subprogress).
        const { signal } = this.abort;
        const step = { compose, files, blobs: this.deps.blobs, signal, note: (line: string) => ctx.buildLog.line(line) };
        const published = await publishComposeAmi({ ...step, onProgress: (done, total) => this.progress.uploadStep(done, total) });
        uploadResult = { type: 'aws', method: published.method, images: published.images };
      } else {
        artifacts = await uploadArtifacts(files, {
          blobs: this.deps.blobs,
          prefix,
          attempts: this.deps.config.uploadAttempts,
          backoffMs: this.deps.uploadBackoffMs ?? 1000,
          signal: this.abort.signal,
          log: this.log,
        });
      }
    } catch (error) {
      if (this.stopRequest) return settleStopped(ctx, this.stopRequest);
      ctx.buildLog.line(`==> ${errorText(error)}`);
      const error_ = composeError(ComposeErrorId.Upload, errorText(error));
      // EC2's permanent refusals (a duplicate name, a limit) would only repeat.
      return error instanceof AmiError && !error.retryable ? fail(ctx, error_) : failOrRetry(ctx, error_, true);
    }
    if (this.stopRequest) return settleStopped(ctx, this.stopRequest);
    ctx.buildLog.line(`==> success: ${artifacts.map((a) => `${a.name} sha256:${a.sha256}`).join(', ')}`);
    await flushBuildLog(ctx);
    // Conditional on `uploading` and this attempt: a cancel the API recorded first wins, and this run cleans up.
    const succeeded = await this.deps.store.transition(compose.orgId, compose.id, {
      from: ['uploading'],
      to: 'success',
      set: { artifacts, ...(uploadResult ? { uploadResult } : {}), finishedAt: new Date().toISOString(), result: recordedResult(ctx, { success: true }), progress },
      ...ctx.lease.ownership(),
    });
    if (!succeeded) {
      if (uploadResult) await removeComposeAmis(uploadResult).catch((error: unknown) => this.log.warn('could not remove the AMIs of a refused success', { error }));
      return settleRefused(ctx, 'could not record success');
    }
    this.done = true;
    ctx.lease.end();
    await this.job.delete();
    await removeOtherAttempts(ctx, prefix);
    this.log.info('compose built', { artifacts: artifacts.map((a) => ({ key: a.key, size: a.size })) });
    return 'success';
  }
}

const jobIds = (body: unknown): Record<string, unknown> =>
  isComposeJob(body) ? { orgId: body.orgId, composeId: body.composeId } : {};
