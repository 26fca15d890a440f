/** Lambda entry (schedule): sets each architecture's runner Auto Scaling group to the size its build queue needs. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AutoScalingRunnerFleet } from '../../layers/src/adapters/aws/auto-scaling-fleet.ts';
import { SqsJobQueue } from '../../layers/src/adapters/aws/sqs-job-queue.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { scaleRunnerFleet } from '../../layers/src/service/fleet-scaler.ts';
import { envNumber } from './env.ts';

// Only SQS and Auto Scaling: this bundle needs neither DynamoDB nor S3.
const queue = new SqsJobQueue(new SQSClient({}), process.env.IBS_QUEUE_URL_PREFIX ?? '');
const fleet = new AutoScalingRunnerFleet(new AutoScalingClient({}), process.env.IBS_RUNNER_GROUP_PREFIX ?? '');
const log = createLogger({ service: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'ibs-fleet-scaler' });
const options = {
  architectures: (process.env.IBS_ARCHITECTURES ?? 'x86_64,aarch64').split(',').map((a) => a.trim()).filter(Boolean),
  buildsPerInstance: Math.max(1, envNumber('IBS_BUILDS_PER_INSTANCE', 1)),
};

export const handler = async () => scaleRunnerFleet({ queue, fleet, log }, options);
