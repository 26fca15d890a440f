import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { createAwsAdapters, type AwsAdapters } from './aws-adapters.ts';
import { readAwsConfig } from './aws-config.ts';
import { AsgInstanceProtection, readInstanceId } from './asg-instance-protection.ts';
import { noInstanceProtection, type InstanceProtection } from '../../ports/instance-protection.ts';

export interface AwsRunnerAdapters extends Pick<AwsAdapters, 'store' | 'blobs' | 'queue'> {
  protection: InstanceProtection;
  close(): Promise<void>;
}


/**
 * What the runner (`IBS_BACKEND=aws`) needs, from the environment the launch template writes to /etc/ibs/runner.env:
 * the three stores (IBS_TABLE, IBS_BUCKET, IBS_QUEUE_URL_PREFIX, AWS_REGION) and scale-in protection in the group
 * IBS_RUNNER_GROUP, for the instance IMDSv2 names (IBS_IMDS_ENDPOINT, default 169.254.169.254). Without
 * IBS_RUNNER_GROUP (start:aws-local, tests) there is no group to protect the instance in.
 */
export function createAwsRunnerAdapters(env: NodeJS.ProcessEnv = process.env): AwsRunnerAdapters {
  const config = readAwsConfig(env);
  const adapters = createAwsAdapters(config);
  const group = env.IBS_RUNNER_GROUP;
  const autoScaling = group ? new AutoScalingClient({ region: config.region, ...(config.endpoints?.autoScaling ? { endpoint: config.endpoints.autoScaling } : {}) }) : undefined;
  const imds = env.IBS_IMDS_ENDPOINT && env.IBS_IMDS_ENDPOINT !== 'off' ? env.IBS_IMDS_ENDPOINT : undefined;
  return {
    store: adapters.store,
    blobs: adapters.blobs,
    queue: adapters.queue,
    protection: autoScaling && group ? new AsgInstanceProtection(autoScaling, { autoScalingGroupName: group, instanceId: () => readInstanceId(imds) }) : noInstanceProtection,
    close: async () => {
      autoScaling?.destroy();
      await adapters.close();
    },
  };
}
