/** Lambda entry (schedule): sets each architecture's runner Auto Scaling group to the size its build queue needs. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { AutoScalingRunnerFleet } from '../../layers/src/adapters/aws/auto-scaling-fleet.ts';
import { clientOptions, readAwsConfig } from '../../layers/src/adapters/aws/aws-config.ts';
import { createSqsJobQueue } from '../../layers/src/adapters/aws/sqs-job-queue.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { scaleRunnerFleet } from '../../layers/src/service/fleet-scaler.ts';
import { readFleetScalerConfig, readFunctionName, readLogLevel } from './config.ts';

// Only SQS and Auto Scaling: this bundle needs neither DynamoDB nor S3.
const aws = readAwsConfig(process.env, ['queues']);
const { runnerGroupPrefix, ...options } = readFleetScalerConfig(process.env);
const queue = createSqsJobQueue(aws);
const fleet = new AutoScalingRunnerFleet(new AutoScalingClient(clientOptions(aws, aws.endpoints?.autoScaling)), runnerGroupPrefix);
const log = createLogger({ service: readFunctionName(process.env, 'ibs-fleet-scaler') }, { level: readLogLevel(process.env) });

export const handler = async () => scaleRunnerFleet({ queue, fleet, log }, options);
