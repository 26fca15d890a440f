import type { Logger } from '../log/logger.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import { buildQueueFor } from '../ports/job-queue.ts';
import type { RunnerFleet, RunnerGroup } from '../ports/runner-fleet.ts';

export interface FleetScalerOptions {
  architectures: readonly string[];
  /** Builds one runner instance runs at the same time (the runner's IBS_RUNNER_CONCURRENCY). */
  buildsPerInstance: number;
}

export interface ScalingDecision {
  architecture: string;
  group: string;
  /** Build jobs waiting plus being built. */
  backlog: number;
  /** Instances protected from scale-in: building right now. */
  busy: number;
  from: number;
  to: number;
}

// Instances on their way out neither build nor count as capacity.
const LEAVING = /^(Terminating|Terminated|Detaching|Detached|Standby)/;

/**
 * The capacity one group needs: enough instances for the backlog, never fewer than the instances that are building
 * (so a scale-in can only remove idle runners: busy ones protect themselves), within the group's min and max.
 */
export function desiredCapacity(group: RunnerGroup, backlog: number, buildsPerInstance: number): { desired: number; busy: number } {
  const busy = group.instances.filter((i) => i.protectedFromScaleIn && !LEAVING.test(i.lifecycleState)).length;
  const needed = Math.ceil(backlog / Math.max(1, buildsPerInstance));
  return { desired: Math.min(group.max, Math.max(group.min, needed, busy)), busy };
}

/** One scaling pass: reads each build queue's backlog (visible + in flight) and sets its group's desired capacity. */
export async function scaleRunnerFleet(
  deps: { queue: JobQueue; fleet: RunnerFleet; log: Logger },
  options: FleetScalerOptions,
): Promise<ScalingDecision[]> {
  const groups = await deps.fleet.describe(options.architectures);
  const decisions: ScalingDecision[] = [];
  for (const group of groups) {
    const depth = await deps.queue.depth(buildQueueFor(group.architecture));
    const backlog = depth.visible + depth.inFlight;
    const { desired, busy } = desiredCapacity(group, backlog, options.buildsPerInstance);
    decisions.push({ architecture: group.architecture, group: group.name, backlog, busy, from: group.desired, to: desired });
    if (desired !== group.desired) {
      await deps.fleet.setDesired(group, desired, { scaleIn: desired < group.desired });
      deps.log.info('runner group scaled', { group: group.name, backlog, busy, from: group.desired, to: desired });
    }
  }
  return decisions;
}
