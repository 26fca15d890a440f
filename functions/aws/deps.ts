/**
 * The AWS composition root of the Lambda functions: each entry in this directory names the ports it uses and passes
 * their factories, so its bundle carries only those SDK clients (esbuild drops the factories nobody imports). Built
 * once per execution environment: module scope survives warm invocations. Only AWS adapters are imported here, so no
 * bundle contains the embedded SQLite adapters.
 */
import { readAwsConfig, type AwsAdaptersConfig, type AwsResource } from '../../layers/src/adapters/aws/aws-config.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { readFunctionName, readLogLevel, readServiceConfig } from './config.ts';

type PortName = 'store' | 'blueprints' | 'blobs' | 'queue' | 'rateLimiter';

/** The factories of the ports a function uses (from the adapters' modules); the others stay unwired. */
export type PortFactories = { [P in PortName]?: (config: AwsAdaptersConfig) => NonNullable<ServiceDeps[P]> };

const PORT_LABELS: Record<PortName, string> = { store: 'compose store', blueprints: 'blueprint store', blobs: 'blob store', queue: 'job queue', rateLimiter: 'rate limiter' };
const PORT_RESOURCES: Record<PortName, AwsResource> = { store: 'table', blueprints: 'table', blobs: 'bucket', queue: 'queues', rateLimiter: 'table' };

/** Stands in for a port a function does not use (and has no permission for): any call is a bug, and says which. */
function unavailable<T extends object>(port: PortName, functionName: string): T {
  return new Proxy({} as T, {
    get: (_target, method) => () =>
      Promise.reject(new Error(`${functionName} has no ${PORT_LABELS[port]}: ${String(method)} is not available here`)),
  });
}

/**
 * ServiceDeps with the given ports wired to AWS, from AWS_REGION and, for the ports wired, IBS_TABLE, IBS_BUCKET and
 * IBS_QUEUE_URL_PREFIX.
 */
export function createLambdaDeps(factories: PortFactories, env: NodeJS.ProcessEnv = process.env): ServiceDeps {
  const ports = (Object.keys(PORT_RESOURCES) as PortName[]).filter((port) => factories[port]);
  const config = readAwsConfig(env, ports.map((port) => PORT_RESOURCES[port]));
  const name = readFunctionName(env, 'ibs-aws');
  const wire = <P extends PortName>(port: P): NonNullable<ServiceDeps[P]> => factories[port]?.(config) ?? unavailable<NonNullable<ServiceDeps[P]>>(port, name);
  return {
    store: wire('store'),
    blueprints: wire('blueprints'),
    blobs: wire('blobs'),
    queue: wire('queue'),
    // Optional: without it requests are not rate-limited (functions that serve no API).
    ...(factories.rateLimiter ? { rateLimiter: wire('rateLimiter') } : {}),
    log: createLogger({ service: name }, { level: readLogLevel(env) }),
    config: readServiceConfig(env),
  };
}
