import { AutoScalingClient, SetInstanceProtectionCommand } from '@aws-sdk/client-auto-scaling';
import type { InstanceProtection } from '../../ports/instance-protection.ts';

export interface AsgInstanceProtectionOptions {
  autoScalingGroupName: string;
  /** This instance's id, or a function reading it (IMDSv2) on first use. */
  instanceId: string | (() => Promise<string>);
}

/**
 * EC2 Auto Scaling scale-in protection for the runner's own instance: protected while it builds, so the fleet scaler
 * lowering the desired capacity only ever removes idle runners.
 */
export class AsgInstanceProtection implements InstanceProtection {
  private instanceId?: Promise<string>;

  constructor(
    private readonly client: AutoScalingClient,
    private readonly options: AsgInstanceProtectionOptions,
  ) {}

  protect(): Promise<void> {
    return this.set(true);
  }

  unprotect(): Promise<void> {
    return this.set(false);
  }

  private async set(protectedFromScaleIn: boolean): Promise<void> {
    const id = this.options.instanceId;
    const lookup = (this.instanceId ??= typeof id === 'string' ? Promise.resolve(id) : id());
    // A failed look-up is not kept: the next build asks the metadata service again.
    lookup.catch(() => {
      if (this.instanceId === lookup) this.instanceId = undefined;
    });
    await this.client.send(
      new SetInstanceProtectionCommand({
        AutoScalingGroupName: this.options.autoScalingGroupName,
        InstanceIds: [await lookup],
        ProtectedFromScaleIn: protectedFromScaleIn,
      }),
    );
  }
}

/** The instance id from the EC2 instance metadata service (IMDSv2: token first). */
export async function readInstanceId(endpoint = 'http://169.254.169.254', timeoutMs = 2000): Promise<string> {
  const token = await fetch(`${endpoint}/latest/api/token`, {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '300' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!token.ok) throw new Error(`IMDSv2 token request failed: HTTP ${token.status}`);
  const response = await fetch(`${endpoint}/latest/meta-data/instance-id`, {
    headers: { 'x-aws-ec2-metadata-token': await token.text() },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`IMDSv2 instance-id request failed: HTTP ${response.status}`);
  return (await response.text()).trim();
}
