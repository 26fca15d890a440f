/**
 * Where the AWS adapters find their resources. On Lambda and on the runner AMI it comes from the environment
 * (`readAwsConfig`); tests and `start:aws-local` build it directly with stand-in endpoints.
 */
export interface AwsAdaptersConfig {
  region: string;
  /** DynamoDB table of composes (IBS_TABLE). */
  tableName: string;
  /** Private artifact bucket (IBS_BUCKET). */
  bucketName: string;
  /**
   * Queue URL of a logical queue is this prefix + its name (IBS_QUEUE_URL_PREFIX), e.g.
   * `https://sqs.eu-west-1.amazonaws.com/123456789012/ibs-dev-` → `...ibs-dev-build-x86_64`, `...ibs-dev-manifest-dlq`.
   */
  queueUrlPrefix: string;
  /** Stand-in endpoints (127.0.0.1); unset on AWS. */
  endpoints?: { dynamodb?: string; s3?: string; sqs?: string; autoScaling?: string; eventBridge?: string };
  /** Static credentials for stand-ins; unset on AWS (the role's credentials are used). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SDK attempts per call (SDK default 3). */
  maxAttempts?: number;
}

const required = (env: NodeJS.ProcessEnv, name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: the AWS adapters need it (see docs/aws.md)`);
  return value;
};

/** The resources a composition root uses: the compose table, the artifact bucket, the job queues. */
export type AwsResource = 'table' | 'bucket' | 'queues';
const RESOURCE_VARIABLES = { table: 'IBS_TABLE', bucket: 'IBS_BUCKET', queues: 'IBS_QUEUE_URL_PREFIX' } as const;

/**
 * Reads the adapters' configuration from the environment:
 * IBS_TABLE, IBS_BUCKET, IBS_QUEUE_URL_PREFIX, AWS_REGION (or AWS_DEFAULT_REGION), and for stand-ins the SDK's own
 * AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_SQS. Only the variables of the resources `uses`
 * names are required (a function that never touches the bucket needs no IBS_BUCKET); the others may be blank.
 */
export function readAwsConfig(env: NodeJS.ProcessEnv = process.env, uses: readonly AwsResource[] = ['table', 'bucket', 'queues']): AwsAdaptersConfig {
  const endpoints = {
    dynamodb: env.AWS_ENDPOINT_URL_DYNAMODB,
    s3: env.AWS_ENDPOINT_URL_S3,
    sqs: env.AWS_ENDPOINT_URL_SQS,
    autoScaling: env.AWS_ENDPOINT_URL_AUTO_SCALING,
    eventBridge: env.AWS_ENDPOINT_URL_EVENTBRIDGE,
  };
  const resource = (name: AwsResource): string => (uses.includes(name) ? required(env, RESOURCE_VARIABLES[name]) : (env[RESOURCE_VARIABLES[name]] ?? ''));
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? required(env, 'AWS_REGION'),
    tableName: resource('table'),
    bucketName: resource('bucket'),
    queueUrlPrefix: resource('queues'),
    endpoints: Object.values(endpoints).some(Boolean) ? endpoints : undefined,
  };
}

/** Options shared by every SDK client built from the configuration. */
export function clientOptions(config: AwsAdaptersConfig, endpoint: string | undefined) {
  return {
    region: config.region,
    ...(endpoint ? { endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}),
    // The SDK's defaults wait forever: a partition must turn into an error (and a retry), not a call that never
    // returns. Idle 60 s is well above SQS's 20 s long poll.
    requestHandler: { connectionTimeout: 5_000, socketTimeout: 60_000 },
  };
}
