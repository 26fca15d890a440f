/** A build's progress as osbuild's monitor reports it, and whether it changed since the store last saw it. */
import type { ComposeProgress } from '../../layers/src/compose/compose.ts';
import type { MonitorEvent } from './osbuild-monitor.ts';

export class BuildProgress {
  private value: ComposeProgress = { done: 0, total: 0 };
  private dirty = false;
  private frozen = false;

  get current(): ComposeProgress {
    return this.value;
  }

  /** Folds a monitor event in (log lines and results are not progress). */
  apply(event: MonitorEvent): void {
    if (this.frozen) return;
    const before = this.value;
    switch (event.type) {
      case 'progress':
        if (!event.progress) return;
        this.value = {
          ...before,
          done: event.progress.done,
          total: event.progress.total,
          subprogress: event.subProgress ? { done: event.subProgress.done, total: event.subProgress.total } : undefined,
        };
        break;
      case 'pipeline-started':
        this.value = { ...before, pipeline: event.name, stage: undefined };
        break;
      case 'stage-started':
        this.value = { ...before, pipeline: event.pipeline ?? before.pipeline, stage: event.stage };
        break;
      default:
        return;
    }
    this.dirty = true;
  }

  /** The progress to write if it changed since the last call, else undefined. */
  takeChange(): ComposeProgress | undefined {
    if (!this.dirty) return undefined;
    this.dirty = false;
    return this.value;
  }

  /** Progress of the upload step after the build (an AMI's blocks): the subprogress of the finished build. */
  uploadStep(done: number, total: number): void {
    this.value = { ...this.value, subprogress: { done, total } };
    this.dirty = true;
  }

  /** osbuild is done: all steps done, and nothing later changes it (the upload records it with the state). */
  complete(): ComposeProgress {
    this.value = { ...this.value, done: this.value.total, subprogress: undefined, stage: undefined };
    this.frozen = true;
    this.dirty = false;
    return this.value;
  }
}
