/**
 * `npx osls package`, exactly as docs/aws.md says, with no arguments, must work offline with no credentials; the
 * generated CloudFormation template must keep the deployment's invariants: every queue has a dead-letter queue, both
 * buckets are private and encrypted, every function has its own role, no IAM statement allows a wildcard action, every
 * non-public route has the JWT authorizer, the table has the adapter's keys, indexes and a stream, and each
 * architecture has its runner group, in the default VPC unless the documented `--param` set names one; users' data
 * outlives the stack (retained, recoverable), dead-letter queues and function errors raise alarms, logs expire, tracing
 * is available, and the runner role reaches only the prefixes it works on (docs/security.md).
 */
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/api/routes.ts';
import { API_BASES } from '../../functions/api/http.ts';
import { LAMBDA_ENTRIES } from '../../functions/aws/bundles.ts';
import { COMPOSER_DEPLOYED_PATHS, DEPLOYED_PATHS, isComposerPackageRoute, isPackageRoute } from '../../functions/aws/api-routes.ts';
import { COMPOSER_ROUTES } from '../../functions/composer-v2/composer-routes.ts';
import { COMPOSER_API_BASE } from '../../functions/composer-v2/composer-errors.ts';
import { conflictingVariables } from '../../functions/aws/route-paths.ts';
import { COMPOSE_TABLE_SHAPE } from '../../layers/src/adapters/aws/provision.ts';
import { readAwsConfig } from '../../layers/src/adapters/aws/aws-config.ts';
import { readRunnerConfig } from '../../runner-ami/src/config.ts';
import { parseEnvironmentFile, runCommand, startMetadata } from '../support/fake-imds.ts';
import { noteSkip, skipTitle } from '../support/skip-notice.ts';
import { REPO_ROOT as root, canRunOffline, copyCheckout, removeCopy, runOsls, type CheckoutCopy, type OslsRun } from './osls-package.ts';

type Resource = { Type: string; Properties: Record<string, any>; Condition?: string };
type Template = { Resources: Record<string, Resource>; Outputs: Record<string, unknown>; Conditions?: Record<string, unknown> };

// The runner network of docs/aws.md's `--param` example.
const VPC_PARAMS = ['--param=runnerVpcId=vpc-0123456789abcdef0', '--param=runnerSubnets=subnet-0123456789abcdef0,subnet-0fedcba9876543210'];
// The optional switches of docs/aws.md: X-Ray on, alarms mailed.
const OPTION_PARAMS = ['--param=lambdaTracing=Active', '--param=alarmEmail=ops@example.com', '--param=jwtIssuerUrl=https://issuer.example/', '--param=jwtAudience=ibs-api'];
const { findParamProblems } = createRequire(import.meta.url)('../../scripts/osls-check-params.cjs') as {
  findParamProblems(custom: { jwt: Record<string, string>; runnerNetwork: Record<string, string> }): string[];
};

const copies: CheckoutCopy[] = [];
let plain: OslsRun;
/** `npx osls package`: stage dev, us-east-1, every default. */
let template: Template;
/** The same with VPC_PARAMS and OPTION_PARAMS. */
let withParams: Template;
const ARCHITECTURES = { x86_64: 'X8664', aarch64: 'Aarch64' };

const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const refOf = (value: any): string | undefined => value?.Ref ?? value?.['Fn::GetAtt']?.[0];
const readTemplate = (copy: CheckoutCopy): Template =>
  JSON.parse(readFileSync(join(copy.service, '.serverless/cloudformation-template-update-stack.json'), 'utf8')) as Template;

/** What CloudFormation makes of a value: conditions over literals evaluated, `Fn::If` chosen, `AWS::NoValue` dropped. */
function evaluate(t: Template, value: any): any {
  if (Array.isArray(value)) return value.map((v) => evaluate(t, v));
  if (value === null || typeof value !== 'object') return value;
  if (value.Ref === 'AWS::NoValue') return undefined;
  if ('Fn::Equals' in value) return evaluate(t, value['Fn::Equals'][0]) === evaluate(t, value['Fn::Equals'][1]);
  if ('Fn::Not' in value) return !evaluate(t, value['Fn::Not'][0]);
  if ('Condition' in value && Object.keys(value).length === 1) return evaluate(t, t.Conditions?.[value.Condition]);
  if ('Fn::If' in value) {
    const [condition, yes, no] = value['Fn::If'];
    return evaluate(t, evaluate(t, t.Conditions?.[condition]) ? yes : no);
  }
  if ('Fn::Split' in value && typeof value['Fn::Split'][1] === 'string') return value['Fn::Split'][1].split(value['Fn::Split'][0]);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(t, v)]).filter(([, v]) => v !== undefined));
}

beforeAll(async () => {
  const [bare, vpc] = [copyCheckout(), copyCheckout()];
  copies.push(bare, vpc);
  // Exactly what a new user types: no stage, no region, no parameters.
  const [bareRun, vpcRun] = await Promise.all([runOsls(bare, ['package']), runOsls(vpc, ['package', ...VPC_PARAMS, ...OPTION_PARAMS])]);
  plain = bareRun;
  expect(bareRun.code, bareRun.output).toBe(0);
  expect(vpcRun.code, vpcRun.output).toBe(0);
  template = readTemplate(bare);
  withParams = readTemplate(vpc);
}, 300_000);
afterAll(() => copies.forEach(removeCopy));

describe('serverless.yml → CloudFormation', () => {
  it(`packages with no arguments${canRunOffline() ? ', without network' : ' (network not cut off: unshare cannot make a namespace here)'}, on the documented defaults`, () => {
    expect(plain.output).toContain('Packaging ibs for stage dev (us-east-1)');
    expect(template.Resources.ApiLambdaFunction.Properties.FunctionName).toBe('ibs-dev-api');
    // No JWT parameters: the authorizer trusts the stack's Cognito user pool and its app client; the API functions
    // read the organization from custom:org_id (Cognito's name for the custom attribute in ID tokens) and the user from sub.
    const [[, authorizer]] = ofType('AWS::ApiGatewayV2::Authorizer');
    expect(evaluate(template, authorizer.Properties.JwtConfiguration)).toEqual({ Issuer: { 'Fn::GetAtt': ['UserPool', 'ProviderURL'] }, Audience: [{ Ref: 'UserPoolClient' }] });
    expect(evaluate(template, template.Resources.ApiLambdaFunction.Properties.Environment.Variables)).toMatchObject({ IBS_ORG_CLAIM: 'custom:org_id', IBS_USER_CLAIM: 'sub' });
    expect(template.Resources.UserPool!.Properties.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true });
    expect(template.Resources.UserPool!.Properties.Schema).toEqual([expect.objectContaining({ Name: 'org_id', AttributeDataType: 'String' })]);
    // Users cannot write their own organization.
    expect(template.Resources.UserPoolClient!.Properties.WriteAttributes).not.toContain('custom:org_id');
    expect(template.Resources.UserPoolClient!.Properties.ReadAttributes).toContain('custom:org_id');
  });

  it('trusts the issuer and audience given as parameters instead (no user pool), org_id by default', () => {
    const [[, authorizer]] = Object.entries(withParams.Resources).filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Authorizer');
    expect(evaluate(withParams, authorizer.Properties.JwtConfiguration)).toEqual({ Issuer: 'https://issuer.example/', Audience: ['ibs-api'] });
    expect(evaluate(withParams, withParams.Resources.ApiPackagesLambdaFunction.Properties.Environment.Variables)).toMatchObject({ IBS_ORG_CLAIM: 'org_id', IBS_USER_CLAIM: 'sub' });
    expect(evaluate(withParams, { Condition: 'UseStackUserPool' })).toBe(false);
    expect(withParams.Resources.UserPool!.Condition).toBe('UseStackUserPool');
  });

  it('keeps the deployment bucket private like the artifact bucket: public access blocked, owner enforced, encrypted, TLS only', () => {
    const bucket = template.Resources.ServerlessDeploymentBucket!;
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual(template.Resources.ArtifactBucket!.Properties.PublicAccessBlockConfiguration);
    expect(Object.values(bucket.Properties.PublicAccessBlockConfiguration)).toEqual([true, true, true, true]);
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    const [policy] = ofType('AWS::S3::BucketPolicy').filter(([, p]) => refOf(p.Properties.Bucket) === 'ServerlessDeploymentBucket');
    expect(policy?.[1].Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': false } } }),
    ]);
  });

  it('puts the runners in the default VPC without network parameters, and in the named VPC and subnets with them', () => {
    for (const id of Object.values(ARCHITECTURES)) {
      expect(evaluate(template, template.Resources[`RunnerGroup${id}`]!.Properties)).toMatchObject({ AvailabilityZones: { 'Fn::GetAZs': '' } });
      expect(evaluate(template, template.Resources[`RunnerGroup${id}`]!.Properties).VPCZoneIdentifier).toBeUndefined();
      const named = evaluate(withParams, withParams.Resources[`RunnerGroup${id}`]!.Properties);
      expect(named.VPCZoneIdentifier).toEqual(['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210']);
      expect(named.AvailabilityZones).toBeUndefined();
    }
    expect(evaluate(template, template.Resources.RunnerSecurityGroup!.Properties).VpcId).toBeUndefined();
    expect(evaluate(withParams, withParams.Resources.RunnerSecurityGroup!.Properties).VpcId).toBe('vpc-0123456789abcdef0');
  });

  it('refuses half a JWT issuer, a non-https issuer and half a runner network', () => {
    const stackPool = { issuerUrl: '', audience: '' };
    const real = { issuerUrl: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', audience: 'client-id' };
    const noVpc = { vpcId: '', subnets: '' };
    expect(findParamProblems({ jwt: stackPool, runnerNetwork: noVpc })).toEqual([]);
    expect(findParamProblems({ jwt: real, runnerNetwork: noVpc })).toEqual([]);
    expect(findParamProblems({ jwt: { issuerUrl: real.issuerUrl, audience: '' }, runnerNetwork: noVpc })).toEqual([expect.stringContaining('jwtIssuerUrl and jwtAudience go together')]);
    expect(findParamProblems({ jwt: { issuerUrl: '', audience: 'client-id' }, runnerNetwork: noVpc })).toEqual([expect.stringContaining('jwtIssuerUrl and jwtAudience go together')]);
    expect(findParamProblems({ jwt: { issuerUrl: 'http://issuer.example/', audience: 'a' }, runnerNetwork: noVpc })).toEqual([expect.stringContaining('must be an https:// URL')]);
    for (const half of [{ vpcId: 'vpc-1', subnets: '' }, { vpcId: '', subnets: 'subnet-1' }]) {
      expect(findParamProblems({ jwt: real, runnerNetwork: half })).toEqual([expect.stringContaining('runnerVpcId and runnerSubnets go together')]);
    }
    expect(findParamProblems({ jwt: real, runnerNetwork: { vpcId: 'vpc-1', subnets: 'subnet-1,subnet-2' } })).toEqual([]);
  });

  it.skipIf(noteSkip(!canRunOffline(), '`npx osls deploy` with half a JWT issuer (run only without network)', 'unshare cannot create a network namespace'))(
    skipTitle(!canRunOffline(), '`npx osls deploy` with an issuer but no audience stops at the check, before building or calling AWS', 'unshare cannot create a network namespace'),
    async () => {
      const copy = copyCheckout();
      copies.push(copy);
      const run = await runOsls(copy, ['deploy', '--param=jwtIssuerUrl=https://issuer.example/'], { requireOffline: true });
      expect(run.code).not.toBe(0);
      expect(run.output).toContain('jwtIssuerUrl and jwtAudience go together');
      expect(run.output).not.toMatch(/Packaging|Uploading|credentials/i);
    },
    120_000,
  );

  it('gives every queue a dead-letter queue, and every dead-letter queue a consumer', () => {
    const queues = ofType('AWS::SQS::Queue');
    const deadLetters = queues.filter(([, q]) => String(q.Properties.QueueName).endsWith('-dlq'));
    const work = queues.filter(([, q]) => !String(q.Properties.QueueName).endsWith('-dlq'));
    expect(work.map(([, q]) => String(q.Properties.QueueName).replace('ibs-dev-', '')).sort()).toEqual(['build-aarch64', 'build-x86_64', 'manifest']);
    for (const [id, queue] of work) {
      const target = queue.Properties.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0];
      expect(target, `${id} has no dead-letter queue`).toBeDefined();
      expect(template.Resources[target].Properties.QueueName).toBe(`${queue.Properties.QueueName}-dlq`);
      expect(Number(queue.Properties.RedrivePolicy.maxReceiveCount)).toBeGreaterThan(0);
    }
    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    for (const [id] of deadLetters) {
      const consumer = mappings.find((m) => m.EventSourceArn?.['Fn::GetAtt']?.[0] === id);
      expect(refOf(consumer?.FunctionName), `${id} has no consumer`).toBe('DeadLetterLambdaFunction');
    }
    const manifest = mappings.find((m) => m.EventSourceArn?.['Fn::GetAtt']?.[0] === 'ManifestQueue');
    expect(refOf(manifest?.FunctionName)).toBe('ManifestWorkerLambdaFunction');
    expect(manifest?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('keeps the bucket private and encrypted, with lifecycle rules for every prefix the services write (user repositories\' depsolve indexes too)', () => {
    const [[, bucket]] = ofType('AWS::S3::Bucket').filter(([id]) => id === 'ArtifactBucket');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(/AES256|aws:kms/);
    expect(bucket.Properties.AccessControl ?? 'Private').toBe('Private');
    const rules = bucket.Properties.LifecycleConfiguration.Rules as { Prefix?: string; ExpirationInDays?: unknown; Status: string }[];
    for (const prefix of ['logs/', 'manifests/', 'artifacts/', 'depsolve-index/']) {
      const rule = rules.find((r) => r.Prefix === prefix);
      expect(rule?.Status).toBe('Enabled');
      expect(Number(rule?.ExpirationInDays)).toBeGreaterThan(0);
    }
    // User-supplied repositories' indexes (IndexStore's `user/` prefix) expire sooner than the distributions'.
    const days = (prefix: string) => Number(rules.find((r) => r.Prefix === prefix && r.Status === 'Enabled')?.ExpirationInDays);
    expect(days('depsolve-index/user/')).toBeGreaterThan(0);
    expect(days('depsolve-index/user/')).toBeLessThan(days('depsolve-index/'));
    for (const [id, policy] of ofType('AWS::S3::BucketPolicy')) {
      // The web UI bucket's one Allow, CloudFront's read, is checked in test/web/web-ui-template.test.ts.
      const statements = policy.Properties.PolicyDocument.Statement.filter((s: { Sid?: string }) => id !== 'WebUiBucketPolicy' || s.Sid !== 'CloudFrontReadsTheUi');
      for (const statement of statements) expect(statement.Effect).toBe('Deny');
    }
  });

  it('gives every function its own role, nodejs22.x and an ESM bundle', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.map(([id]) => id.replace(/LambdaFunction$/, '')).sort()).toEqual(
      Object.keys(LAMBDA_ENTRIES).map((n) => n[0].toUpperCase() + n.slice(1)).sort(),
    );
    const roles = functions.map(([, f]) => refOf(f.Properties.Role));
    expect(new Set(roles).size).toBe(functions.length);
    for (const [id, fn] of functions) {
      expect(fn.Properties.Runtime, id).toBe('nodejs22.x');
      const role = template.Resources[refOf(fn.Properties.Role)!];
      expect(role?.Type, `${id} role`).toBe('AWS::IAM::Role');
      // The role's log permissions name this function's own log group.
      const logs = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement).find((s: any) => asArray(s.Action).includes('logs:PutLogEvents'));
      expect(JSON.stringify(logs.Resource)).toContain(`/aws/lambda/${fn.Properties.FunctionName}:`);
    }
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('allows no wildcard action in any IAM statement, and "*" resources only where AWS has no resource-level permission', () => {
    // Deny statements may use wildcards (they take permissions away): only what is allowed must be named.
    const statements = [
      ...ofType('AWS::IAM::Role').flatMap(([id, r]) => (r.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement.map((s: any) => ({ id, s })))),
      ...ofType('AWS::IAM::Policy').flatMap(([id, r]) => r.Properties.PolicyDocument.Statement.map((s: any) => ({ id, s }))),
      ...ofType('AWS::IAM::ManagedPolicy').flatMap(([id, r]) => r.Properties.PolicyDocument.Statement.map((s: any) => ({ id, s }))),
      ...ofType('AWS::S3::BucketPolicy').flatMap(([id, r]) => r.Properties.PolicyDocument.Statement.map((s: any) => ({ id, s }))),
    ];
    expect(statements.length).toBeGreaterThan(20);
    expect(statements.every(({ s }) => s.Effect === 'Allow' || s.Effect === 'Deny')).toBe(true);
    for (const { id, s } of statements.filter(({ s }) => s.Effect === 'Allow')) {
      for (const action of asArray<string>(s.Action)) expect(action, `${id}: ${action}`).not.toContain('*');
      expect(s.NotAction, id).toBeUndefined();
      expect(s.NotResource, id).toBeUndefined();
      if (asArray(s.Resource).includes('*')) {
        expect([['autoscaling:DescribeAutoScalingGroups'], ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['ec2:DescribeImages', 'ec2:DescribeSnapshots', 'ec2:DescribeImportSnapshotTasks'], ['ec2:DescribeImages']], id).toContainEqual(asArray(s.Action));
      }
    }
  });

  it('puts the JWT authorizer on every route but the public ones, and serves exactly the API routes', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    const functionOf = (route: any) => {
      const integration = template.Resources[refOf(route.Target['Fn::Join'][1][1])!];
      return refOf(integration.Properties.IntegrationUri);
    };
    // Every route under both server URLs of the hosted spec (/v1 and /v1.0).
    const keys = ROUTES.flatMap((r) => API_BASES.map((base) => ({ route: r, key: `${r.method} ${base}${DEPLOYED_PATHS.get(r)}` })));
    // And the cloud API v2 (functions/composer-v2) under its own base, on the same two functions.
    keys.push(...COMPOSER_ROUTES.map((r) => ({ route: r, key: `${r.method} ${COMPOSER_API_BASE}${COMPOSER_DEPLOYED_PATHS.get(r)}` })));
    // API Gateway refuses differently named variables at one level (ConflictException): the hosted oscap paths have them.
    expect(conflictingVariables(ROUTES.map((r) => r.path)).length).toBeGreaterThan(0);
    expect(conflictingVariables(routes.map((r) => String(r.RouteKey).split(' ')[1]))).toEqual([]);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(keys.map((k) => k.key).sort());
    for (const { route, key } of keys) {
      const deployed = routes.find((r) => r.RouteKey === key)!;
      expect(functionOf(deployed), route.path).toBe(isPackageRoute(route) || isComposerPackageRoute(route) ? 'ApiPackagesLambdaFunction' : 'ApiLambdaFunction');
      if (route.public) {
        expect(deployed.AuthorizationType ?? 'NONE', route.path).toBe('NONE');
      } else {
        expect(deployed.AuthorizationType, route.path).toBe('JWT');
        expect(refOf(deployed.AuthorizerId), route.path).toBe('HttpApiAuthorizerJwt');
      }
    }
    const [[, authorizer]] = ofType('AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties.AuthorizerType).toBe('JWT');
  });

  it('creates the table with the adapter keys, indexes and a stream to the status-events function', () => {
    const table = template.Resources.ComposeTable.Properties;
    expect(table.KeySchema).toEqual(COMPOSE_TABLE_SHAPE.KeySchema);
    expect(table.AttributeDefinitions).toEqual(COMPOSE_TABLE_SHAPE.AttributeDefinitions);
    expect(table.GlobalSecondaryIndexes).toEqual(COMPOSE_TABLE_SHAPE.GlobalSecondaryIndexes);
    expect(table.StreamSpecification.StreamViewType).toBe('NEW_AND_OLD_IMAGES');
    const stream = ofType('AWS::Lambda::EventSourceMapping').find(([, m]) => m.Properties.EventSourceArn?.['Fn::GetAtt']?.[1] === 'StreamArn');
    expect(refOf(stream?.[1].Properties.FunctionName)).toBe('StatusEventsLambdaFunction');
  });

  it('has a launch template and an Auto Scaling group per architecture, the scaler owning the desired capacity', () => {
    for (const [arch, id] of Object.entries(ARCHITECTURES)) {
      const group = template.Resources[`RunnerGroup${id}`];
      const launch = template.Resources[`RunnerLaunchTemplate${id}`];
      expect(group.Type).toBe('AWS::AutoScaling::AutoScalingGroup');
      expect(group.Properties.AutoScalingGroupName).toBe(`ibs-dev-runners-${arch}`);
      expect(group.Properties.DesiredCapacity).toBeUndefined();
      expect(refOf(group.Properties.LaunchTemplate.LaunchTemplateId)).toBe(`RunnerLaunchTemplate${id}`);
      expect(launch.Properties.LaunchTemplateData.MetadataOptions.HttpTokens).toBe('required');
      expect(JSON.stringify(launch.Properties.LaunchTemplateData.UserData)).toContain(`IBS_ARCHITECTURES=${arch}`);
    }
    expect(template.Resources.FleetScalerLambdaFunction.Properties.Environment.Variables.IBS_RUNNER_GROUP_PREFIX).toBe('ibs-dev-runners-');
  });

  it('finds the runner AMI where the packer template publishes it, and sizes the AMI\'s root device', () => {
    const packer = readFileSync(join(root, 'runner-ami/packer/runner.pkr.hcl'), 'utf8');
    const ssmPrefix = /variable "ssm_prefix" \{[^}]*default\s+= "([^"]+)"/.exec(packer)?.[1];
    const rootDevice = /launch_block_device_mappings \{[^}]*device_name\s+= "([^"]+)"/.exec(packer)?.[1];
    expect(ssmPrefix).toBeDefined();
    expect(rootDevice).toBeDefined();
    for (const [arch, id] of Object.entries(ARCHITECTURES)) {
      const data = template.Resources[`RunnerLaunchTemplate${id}`]!.Properties.LaunchTemplateData;
      // publish-ami.sh writes PARAMETER=<ssm_prefix>/<stage>/runner-ami/<source.name>.
      expect(data.ImageId).toBe(`resolve:ssm:${ssmPrefix}/dev/runner-ami/${arch}`);
      expect(data.BlockDeviceMappings[0].DeviceName).toBe(rootDevice);
    }
  });

  describe.skipIf(noteSkip(!has('bash') || !has('curl'), 'runner user data through fetch-config.sh', 'bash or curl is not installed'))(skipTitle(!has('bash') || !has('curl'), 'runner user data', 'bash or curl is not installed'), () => {
    it.each(Object.entries(ARCHITECTURES))('%s: fetch-config.sh turns it into a configuration the agent and the AWS adapters accept', async (arch, id) => {
      const userData = template.Resources[`RunnerLaunchTemplate${id}`]!.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Sub'] as string;
      // What CloudFormation substitutes at deploy time.
      const values: Record<string, string> = {
        'AWS::Region': 'eu-west-1',
        'AWS::AccountId': '123456789012',
        ComposeTable: 'ibs-dev-composes',
        ArtifactBucket: 'ibs-dev-artifacts-123456789012',
        VmImportRole: 'ibs-dev-vmimport',
      };
      const rendered = userData.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        expect(values[name], `user data refers to \${${name}}`).toBeDefined();
        return values[name]!;
      });
      // Data, not a script: a boot script that wrote runner.env itself would replace fetch-config.sh's defaults.
      const lines = rendered.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
      expect(rendered.startsWith('#!')).toBe(false);
      expect(lines.filter((line) => !/^IBS_[A-Z0-9_]+=\S+$/.test(line))).toEqual([]);
      const imds = await startMetadata({
        'meta-data/placement/region': 'eu-west-1',
        'meta-data/instance-id': 'i-0123456789abcdef0',
        'user-data': rendered,
      });
      const dir = mkdtempSync(join(tmpdir(), 'ibs-user-data-'));
      try {
        const run = await runCommand('bash', [join(root, 'runner-ami/packer/files/fetch-config.sh')], {
          PATH: process.env.PATH!,
          IBS_IMDS_ENDPOINT: imds.url,
          IBS_RUNNER_ENV_FILE: join(dir, 'runner.env'),
        });
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        const env = parseEnvironmentFile(readFileSync(join(dir, 'runner.env'), 'utf8'));
        const runner = readRunnerConfig(env);
        expect(runner).toMatchObject({
          backend: 'aws',
          runnerId: 'i-0123456789abcdef0',
          architectures: [arch],
          workDir: '/var/lib/ibs-runner',
          concurrency: 1,
          maxAttempts: 3,
          staleAfterSeconds: 90,
          imdsEndpoint: 'http://169.254.169.254',
        });
        expect(readAwsConfig(env)).toMatchObject({
          region: 'eu-west-1',
          tableName: 'ibs-dev-composes',
          bucketName: 'ibs-dev-artifacts-123456789012',
          queueUrlPrefix: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ibs-dev-',
        });
        expect(env.IBS_RUNNER_GROUP).toBe(`ibs-dev-runners-${arch}`);
        // The dead-letter handler judges "runner gone" by the same heartbeat age the runners take over at.
        const deadLetterEnv = template.Resources.DeadLetterLambdaFunction!.Properties.Environment.Variables;
        expect(Number(deadLetterEnv.IBS_RUNNER_STALE_AFTER_SECONDS)).toBe(runner.staleAfterSeconds);
      } finally {
        imds.server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('keeps users\' data when the stack is removed or replaces a resource: table and bucket retained, point-in-time recovery, versions', () => {
    // The bucket's policy too: a retained bucket keeps refusing plain HTTP.
    for (const id of ['ComposeTable', 'ArtifactBucket', 'ArtifactBucketPolicy']) {
      const resource = template.Resources[id] as Resource & { DeletionPolicy?: string; UpdateReplacePolicy?: string };
      expect([resource.DeletionPolicy, resource.UpdateReplacePolicy], id).toEqual(['Retain', 'Retain']);
    }
    expect(template.Resources.ComposeTable!.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(template.Resources.ComposeTable!.Properties.DeletionProtectionEnabled).toBe(true);
    const bucket = template.Resources.ArtifactBucket!.Properties;
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    // Old versions and the delete markers expirations leave do not pile up.
    const oldVersions = bucket.LifecycleConfiguration.Rules.find((r: any) => r.NoncurrentVersionExpiration);
    expect(oldVersions).toMatchObject({ Status: 'Enabled', Prefix: '', ExpiredObjectDeleteMarker: true });
    expect(Number(oldVersions.NoncurrentVersionExpiration.NoncurrentDays)).toBeGreaterThan(0);
  });

  it('alarms to one SNS topic on every dead-letter queue holding a message and on every function\'s errors; email optional', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const dimension = (alarm: any) => alarm.Dimensions?.[0].Value;
    const queueOf = (query: any) => query.MetricStat?.Metric.Dimensions[0].Value['Fn::GetAtt']?.join('.');
    for (const [id, queue] of ofType('AWS::SQS::Queue').filter(([, q]) => String(q.Properties.QueueName).endsWith('-dlq'))) {
      const alarm = alarms.find((a) => a.Metrics?.some((m: any) => queueOf(m) === `${id}.QueueName`))!;
      expect(alarm, `${queue.Properties.QueueName} has no alarm`).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
      // Depth > 0, plus every message received from it: the deadLetter function drains a queue faster than SQS samples
      // its depth (once a minute), and keeps a message it fails on in flight.
      const stats = Object.fromEntries(alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, [m.MetricStat.Metric.MetricName, m.MetricStat.Stat, queueOf(m)]]));
      expect(stats).toEqual({
        visible: ['ApproximateNumberOfMessagesVisible', 'Maximum', `${id}.QueueName`],
        received: ['NumberOfMessagesReceived', 'Sum', `${id}.QueueName`],
      });
      expect(alarm.Metrics.filter((m: any) => m.ReturnData)).toEqual([expect.objectContaining({ Expression: 'visible + received' })]);
    }
    for (const [id] of ofType('AWS::Lambda::Function')) {
      const alarm = alarms.find((a) => a.Namespace === 'AWS/Lambda' && refOf(dimension(a)) === id);
      expect(alarm, `${id} has no errors alarm`).toMatchObject({ MetricName: 'Errors', Statistic: 'Sum', ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
    }
    expect(alarms).toHaveLength(ofType('AWS::Lambda::Function').length + 3);
    for (const alarm of alarms) expect(alarm.AlarmActions.map(refOf), alarm.AlarmName).toEqual(['AlarmTopic']);
    expect(template.Resources.AlarmTopic!.Type).toBe('AWS::SNS::Topic');
    expect(template.Outputs.AlarmTopicArn).toBeDefined();
    // Subscribed only when an address is given (`--param="alarmEmail=..."`).
    const [[, subscription]] = ofType('AWS::SNS::Subscription');
    expect(evaluate(template, template.Conditions?.[subscription.Condition!])).toBe(false);
    expect(refOf(subscription.Properties.TopicArn)).toBe('AlarmTopic');
    expect(evaluate(withParams, withParams.Conditions?.[subscription.Condition!])).toBe(true);
    expect(withParams.Resources.AlarmEmailSubscription!.Properties).toMatchObject({ Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('keeps every function\'s logs for a set time and can trace every function with X-Ray (PassThrough unless lambdaTracing=Active)', () => {
    const groups = ofType('AWS::Logs::LogGroup').map(([, g]) => g.Properties);
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const group = groups.find((g) => g.LogGroupName === `/aws/lambda/${fn.Properties.FunctionName}`);
      expect(group?.RetentionInDays, `${id} log retention`).toBe(30);
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'PassThrough' });
      expect(withParams.Resources[id]!.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(template.Resources[refOf(fn.Properties.Role)!]!.Properties.ManagedPolicyArns.map(refOf), id).toEqual(['TracingPolicy']);
    }
  });

  it('scopes the runner role: organization partitions by key only, manifests read, logs and artifacts written (artifacts removed), nothing else', () => {
    const statements = template.Resources.RunnerRole!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const objectPrefixes = (s: any) => asArray<any>(s.Resource).map((r) => /^\$\{ArtifactBucket\.Arn\}\/(.*)$/.exec(r['Fn::Sub'] ?? '')?.[1] ?? refOf(r));
    const grants = (prefix: string) =>
      statements.filter((s: any) => objectPrefixes(s).includes(prefix)).flatMap((s: any) => asArray<string>(s.Action)).sort();
    expect(grants('manifests/*')).toEqual(['s3:GetObject']);
    expect(grants('logs/*')).toEqual(['s3:AbortMultipartUpload', 's3:PutObject']);
    expect(grants('artifacts/*')).toEqual(['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:PutObject']);
    const s3 = statements.filter((s: any) => asArray<string>(s.Action).some((a) => a.startsWith('s3:')));
    for (const s of s3) expect(objectPrefixes(s).every((p) => p !== undefined && ['manifests/*', 'logs/*', 'artifacts/*', 'ArtifactBucket'].includes(p)), s.Sid).toBe(true);
    expect(s3.filter((s: any) => objectPrefixes(s).includes('ArtifactBucket')).flatMap((s: any) => s.Action)).toEqual(['s3:ListBucket']);
    const dynamodb = statements.filter((s: any) => asArray<string>(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(dynamodb).toEqual([
      expect.objectContaining({ Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ORG#*'] } } }),
    ]);
    expect(refOf(dynamodb[0].Resource)).toBe('ComposeTable');
  });

  it('grants the runner exactly the EC2/EBS actions its AMI code calls; sharing and removal only of resources tagged ibs:compose-id', () => {
    const statements = template.Resources.RunnerRole!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const granted = statements.flatMap((s: any) => asArray<string>(s.Action)).filter((a: string) => /^(ec2|ebs):/.test(a)).sort();
    const amiDir = join(root, 'runner-ami/src/ami');
    const called = new Set<string>();
    for (const file of readdirSync(amiDir)) {
      const source = readFileSync(join(amiDir, file), 'utf8');
      for (const [, command] of source.matchAll(/new (\w+)Command\(/g)) {
        called.add(/^(StartSnapshot|PutSnapshotBlock|CompleteSnapshot)$/.test(command) ? `ebs:${command}` : `ec2:${command}`);
      }
    }
    expect(granted).toEqual([...called].sort());
    const destructive = statements.find((s: any) => asArray<string>(s.Action).includes('ec2:DeregisterImage'));
    expect(asArray<string>(destructive.Action).sort()).toEqual(['ec2:DeleteSnapshot', 'ec2:DeregisterImage', 'ec2:ModifyImageAttribute', 'ec2:ModifySnapshotAttribute']);
    expect(destructive.Condition).toEqual({ Null: { 'aws:ResourceTag/ibs:compose-id': 'false' } });
    const passRole = statements.find((s: any) => asArray<string>(s.Action).includes('iam:PassRole'));
    expect(passRole).toMatchObject({ Resource: { 'Fn::GetAtt': ['VmImportRole', 'Arn'] }, Condition: { StringEquals: { 'iam:PassedToService': 'vmie.amazonaws.com' } } });
    const vmimport = template.Resources.VmImportRole!.Properties;
    expect(vmimport.AssumeRolePolicyDocument.Statement[0]).toMatchObject({ Principal: { Service: 'vmie.amazonaws.com' }, Condition: { StringEquals: { 'sts:ExternalId': 'vmimport' } } });
    expect(vmimport.Policies.flatMap((p: any) => p.PolicyDocument.Statement).flatMap((s: any) => asArray<string>(s.Action)).sort()).toEqual(['s3:GetBucketLocation', 's3:GetObject', 's3:ListBucket']);
    for (const arch of ['X8664', 'Aarch64']) {
      const userData = JSON.stringify(template.Resources[`RunnerLaunchTemplate${arch}`]!.Properties.LaunchTemplateData.UserData);
      expect(userData).toContain('IBS_AMI_IMPORT_ROLE=${VmImportRole}');
    }
  });

  it('outputs the API URL, bucket, table and queue URLs', () => {
    for (const output of ['ApiUrl', 'ArtifactBucketName', 'ComposeTableName', 'QueueUrlPrefix', 'ManifestQueueUrl', 'BuildQueueUrlX8664', 'BuildQueueUrlAarch64']) {
      expect(template.Outputs[output], output).toBeDefined();
    }
  });
});
