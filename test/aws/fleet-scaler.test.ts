/**
 * Fleet scaling. No EC2 / Auto Scaling emulator exists (none on npm, none in Debian), so these tests mock the AWS SDK
 * v3 clients with aws-sdk-client-mock: the real SqsJobQueue and AutoScalingRunnerFleet adapters and the real scaler
 * run, and only the SQS and Auto Scaling API answers are canned.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  ScalingActivityInProgressFault,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AsgInstanceProtection } from '../../layers/src/adapters/aws/asg-instance-protection.ts';
import { createAwsRunnerAdapters } from '../../layers/src/adapters/aws/runner-adapters.ts';
import { AutoScalingRunnerFleet } from '../../layers/src/adapters/aws/auto-scaling-fleet.ts';
import { SqsJobQueue } from '../../layers/src/adapters/aws/sqs-job-queue.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { desiredCapacity, scaleRunnerFleet } from '../../layers/src/service/fleet-scaler.ts';

const PREFIX = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ibs-t-';
const autoScaling = mockClient(AutoScalingClient);
const sqs = mockClient(SQSClient);
const log = createLogger({}, { write: () => {} });

type Instance = { id: string; state?: string; protected?: boolean };
const group = (arch: string, desired: number, instances: Instance[] = [], min = 0, max = 4): AutoScalingGroup =>
  ({
    AutoScalingGroupName: `ibs-t-runners-${arch}`,
    DesiredCapacity: desired,
    MinSize: min,
    MaxSize: max,
    Instances: instances.map((i) => ({ InstanceId: i.id, LifecycleState: i.state ?? 'InService', ProtectedFromScaleIn: i.protected ?? false })),
  }) as AutoScalingGroup;

function backlog(depths: Record<string, [visible: number, inFlight: number]>) {
  for (const [queue, [visible, inFlight]] of Object.entries(depths)) {
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: `${PREFIX}${queue}` })
      .resolves({ Attributes: { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: String(inFlight) } });
  }
}

const scale = (architectures = ['x86_64'], buildsPerInstance = 1) =>
  scaleRunnerFleet(
    { queue: new SqsJobQueue(new SQSClient({ region: 'eu-west-1' }), PREFIX), fleet: new AutoScalingRunnerFleet(new AutoScalingClient({ region: 'eu-west-1' }), 'ibs-t-runners-'), log },
    { architectures, buildsPerInstance },
  );

const desiredCalls = () => autoScaling.commandCalls(SetDesiredCapacityCommand).map((c) => c.args[0].input);

beforeEach(() => {
  autoScaling.reset();
  sqs.reset();
  autoScaling.on(SetDesiredCapacityCommand).resolves({});
});

describe('fleet scaler (SDK mocked with aws-sdk-client-mock: no Auto Scaling emulator exists)', () => {
  it('scales out from zero to the backlog (visible + in flight), ignoring cooldowns', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group('x86_64', 0)] });
    backlog({ 'build-x86_64': [2, 1] });
    const [decision] = await scale();
    expect(decision).toMatchObject({ architecture: 'x86_64', backlog: 3, from: 0, to: 3 });
    expect(desiredCalls()).toEqual([{ AutoScalingGroupName: 'ibs-t-runners-x86_64', DesiredCapacity: 3, HonorCooldown: false }]);
  });

  it('caps at the group maximum and packs builds per instance', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group('x86_64', 1, [], 0, 4), group('aarch64', 0, [], 0, 10)] });
    backlog({ 'build-x86_64': [40, 0], 'build-aarch64': [5, 0] });
    await scale(['x86_64', 'aarch64'], 2);
    expect(desiredCalls()).toEqual([
      { AutoScalingGroupName: 'ibs-t-runners-x86_64', DesiredCapacity: 4, HonorCooldown: false },
      { AutoScalingGroupName: 'ibs-t-runners-aarch64', DesiredCapacity: 3, HonorCooldown: false },
    ]);
  });

  it('scales in only down to the instances that are building (protected), honouring cooldowns', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        group('x86_64', 4, [
          { id: 'i-busy', protected: true },
          { id: 'i-idle-1' },
          { id: 'i-idle-2' },
          { id: 'i-leaving', state: 'Terminating:Wait', protected: true },
        ]),
      ],
    });
    backlog({ 'build-x86_64': [0, 1] });
    const [decision] = await scale();
    expect(decision).toMatchObject({ busy: 1, from: 4, to: 1 });
    expect(desiredCalls()).toEqual([{ AutoScalingGroupName: 'ibs-t-runners-x86_64', DesiredCapacity: 1, HonorCooldown: true }]);
  });

  it('scales to zero when nothing waits and nothing builds, but not below the group minimum', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group('x86_64', 2, [{ id: 'a' }, { id: 'b' }]), group('aarch64', 3, [], 1)] });
    backlog({ 'build-x86_64': [0, 0], 'build-aarch64': [0, 0] });
    await scale(['x86_64', 'aarch64']);
    expect(desiredCalls().map((c) => c.DesiredCapacity)).toEqual([0, 1]);
  });

  it('leaves a group alone when it already has the right size', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group('x86_64', 2, [{ id: 'a', protected: true }, { id: 'b', protected: true }])] });
    backlog({ 'build-x86_64': [0, 2] });
    await scale();
    expect(desiredCalls()).toEqual([]);
  });

  it('retries a refused scale-in on the next pass, but reports a refused scale-out', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group('x86_64', 3)] });
    autoScaling.on(SetDesiredCapacityCommand).rejects(new ScalingActivityInProgressFault({ message: 'cooldown', $metadata: {} }));
    backlog({ 'build-x86_64': [0, 0] });
    await expect(scale()).resolves.toHaveLength(1);
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group('x86_64', 0)] });
    backlog({ 'build-x86_64': [2, 0] });
    await expect(scale()).rejects.toThrow(/could not set the desired capacity of ibs-t-runners-x86_64 to 2/);
  });

  it('fails loudly when a group is missing', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group('x86_64', 0)] });
    backlog({ 'build-x86_64': [1, 0], 'build-aarch64': [1, 0] });
    await expect(scale(['x86_64', 'aarch64'])).rejects.toThrow(/ibs-t-runners-aarch64/);
  });

  it('computes capacity from backlog, busy instances, min and max', () => {
    const g = { architecture: 'x86_64', name: 'g', desired: 0, min: 1, max: 5, instances: [] };
    expect(desiredCapacity(g, 0, 1).desired).toBe(1);
    expect(desiredCapacity(g, 7, 2).desired).toBe(4);
    expect(desiredCapacity(g, 100, 1).desired).toBe(5);
  });
});

describe('Lambda entry functions/aws/fleet-scaler.ts (SDK mocked)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    vi.resetModules();
  });

  it('reads its configuration from the environment and scales every architecture', async () => {
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      IBS_QUEUE_URL_PREFIX: PREFIX,
      IBS_RUNNER_GROUP_PREFIX: 'ibs-t-runners-',
      IBS_ARCHITECTURES: 'x86_64,aarch64',
      IBS_BUILDS_PER_INSTANCE: '1',
      IBS_LOG_LEVEL: 'error',
    });
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group('x86_64', 0), group('aarch64', 1)] });
    backlog({ 'build-x86_64': [1, 0], 'build-aarch64': [0, 0] });
    const { handler } = await import('../../functions/aws/fleet-scaler.ts');
    const decisions = await handler();
    expect(decisions.map((d) => [d.architecture, d.to])).toEqual([
      ['x86_64', 1],
      ['aarch64', 0],
    ]);
    expect(autoScaling.commandCalls(DescribeAutoScalingGroupsCommand)[0].args[0].input.AutoScalingGroupNames).toEqual([
      'ibs-t-runners-x86_64',
      'ibs-t-runners-aarch64',
    ]);
  });
});

describe('runner scale-in protection (SDK mocked)', () => {
  it('protects and unprotects its own instance in its group, reading the instance id once', async () => {
    autoScaling.on(SetInstanceProtectionCommand).resolves({});
    const readId = vi.fn(async () => 'i-0123');
    const protection = new AsgInstanceProtection(new AutoScalingClient({ region: 'eu-west-1' }), { autoScalingGroupName: 'ibs-t-runners-x86_64', instanceId: readId });
    await protection.protect();
    await protection.unprotect();
    expect(readId).toHaveBeenCalledTimes(1);
    expect(autoScaling.commandCalls(SetInstanceProtectionCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupName: 'ibs-t-runners-x86_64', InstanceIds: ['i-0123'], ProtectedFromScaleIn: true },
      { AutoScalingGroupName: 'ibs-t-runners-x86_64', InstanceIds: ['i-0123'], ProtectedFromScaleIn: false },
    ]);
  });

  it('asks for the instance id again after a failed look-up, instead of failing every later build', async () => {
    autoScaling.on(SetInstanceProtectionCommand).resolves({});
    const readId = vi.fn<() => Promise<string>>().mockRejectedValueOnce(new Error('IMDSv2 token request failed: HTTP 503')).mockResolvedValue('i-0456');
    const protection = new AsgInstanceProtection(new AutoScalingClient({ region: 'eu-west-1' }), { autoScalingGroupName: 'ibs-t-runners-x86_64', instanceId: readId });
    await expect(protection.protect()).rejects.toThrow('HTTP 503');
    await protection.protect();
    await protection.unprotect();
    expect(readId).toHaveBeenCalledTimes(2);
    expect(autoScaling.commandCalls(SetInstanceProtectionCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([['i-0456'], ['i-0456']]);
  });
});

describe('runner adapters from the launch template environment (Auto Scaling mocked, IMDSv2 faked on 127.0.0.1)', () => {
  it('protects the instance IMDSv2 names, in the group IBS_RUNNER_GROUP names', async () => {
    const tokens: string[] = [];
    const imds = createServer((req, res) => {
      if (req.method === 'PUT' && req.url === '/latest/api/token') return res.end('token-1');
      if (req.url === '/latest/meta-data/instance-id' && req.headers['x-aws-ec2-metadata-token'] === 'token-1') {
        tokens.push('token-1');
        return res.end('i-0abc');
      }
      res.writeHead(401).end();
    });
    await new Promise<void>((resolve) => imds.listen(0, '127.0.0.1', resolve));
    autoScaling.on(SetInstanceProtectionCommand).resolves({});
    const adapters = createAwsRunnerAdapters({
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      IBS_TABLE: 'ibs-t-composes',
      IBS_BUCKET: 'ibs-t-artifacts',
      IBS_QUEUE_URL_PREFIX: PREFIX,
      IBS_RUNNER_GROUP: 'ibs-t-runners-aarch64',
      IBS_IMDS_ENDPOINT: `http://127.0.0.1:${(imds.address() as AddressInfo).port}`,
    });
    try {
      await adapters.protection.protect();
      expect(autoScaling.commandCalls(SetInstanceProtectionCommand).map((c) => c.args[0].input)).toEqual([
        { AutoScalingGroupName: 'ibs-t-runners-aarch64', InstanceIds: ['i-0abc'], ProtectedFromScaleIn: true },
      ]);
      expect(tokens).toEqual(['token-1']);
      expect(adapters.queue.urlOf('build-aarch64')).toBe(`${PREFIX}build-aarch64`);
    } finally {
      await adapters.close();
      imds.close();
    }
  });

  it('has nothing to protect outside an Auto Scaling group', async () => {
    const adapters = createAwsRunnerAdapters({ AWS_REGION: 'eu-west-1', IBS_TABLE: 't', IBS_BUCKET: 'b', IBS_QUEUE_URL_PREFIX: PREFIX });
    await adapters.protection.protect();
    expect(autoScaling.commandCalls(SetInstanceProtectionCommand)).toHaveLength(0);
    await adapters.close();
  });
});
