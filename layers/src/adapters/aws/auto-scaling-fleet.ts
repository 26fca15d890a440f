import { AutoScalingClient, DescribeAutoScalingGroupsCommand, ScalingActivityInProgressFault, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import type { RunnerFleet, RunnerGroup } from '../../ports/runner-fleet.ts';

/**
 * The runner fleet on EC2 Auto Scaling: one group per architecture named `<groupPrefix><arch>` (serverless.yml names them
 * so). Growing ignores cooldowns (waiting builds); shrinking honours them, so a burst does not flap the fleet.
 */
export class AutoScalingRunnerFleet implements RunnerFleet {
  constructor(
    private readonly client: AutoScalingClient,
    private readonly groupPrefix: string,
  ) {}

  async describe(architectures: readonly string[]): Promise<RunnerGroup[]> {
    const names = new Map(architectures.map((arch) => [`${this.groupPrefix}${arch}`, arch]));
    const groups: RunnerGroup[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [...names.keys()], NextToken: token }));
      for (const group of page.AutoScalingGroups ?? []) {
        const architecture = names.get(group.AutoScalingGroupName ?? '');
        if (!architecture) continue;
        groups.push({
          architecture,
          name: group.AutoScalingGroupName ?? '',
          desired: group.DesiredCapacity ?? 0,
          min: group.MinSize ?? 0,
          max: group.MaxSize ?? 0,
          instances: (group.Instances ?? []).map((i) => ({
            id: i.InstanceId ?? '',
            lifecycleState: String(i.LifecycleState ?? ''),
            protectedFromScaleIn: i.ProtectedFromScaleIn ?? false,
          })),
        });
      }
      token = page.NextToken;
    } while (token);
    const missing = [...names.keys()].filter((name) => !groups.some((g) => g.name === name));
    if (missing.length > 0) throw new Error(`Auto Scaling groups not found: ${missing.join(', ')}`);
    return groups;
  }

  async setDesired(group: RunnerGroup, desired: number, { scaleIn }: { scaleIn: boolean }): Promise<void> {
    try {
      await this.client.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: group.name, DesiredCapacity: desired, HonorCooldown: scaleIn }));
    } catch (error) {
      // Shrinking during a cooldown or a running activity waits for the next pass; growing must not be refused quietly.
      if (scaleIn && error instanceof ScalingActivityInProgressFault) return;
      throw new Error(`could not set the desired capacity of ${group.name} to ${desired}`, { cause: error });
    }
  }
}
