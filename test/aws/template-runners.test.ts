/**
 * The template of `npx osls package` (see test/aws/template.test.ts): no IAM statement allows a wildcard action, each
 * architecture has its runner group and launch template whose user data fetch-config.sh turns into a configuration the
 * runner accepts, and the runner role reaches only the prefixes and EC2/EBS actions it works with (docs/security.md).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAwsConfig } from '../../layers/src/adapters/aws/aws-config.ts';
import { readRunnerConfig } from '../../runner-ami/src/config.ts';
import { parseEnvironmentFile, runCommand, startMetadata } from '../support/fake-imds.ts';
import { noteSkip, skipTitle } from '../support/skip-notice.ts';
import { REPO_ROOT as root } from './osls-package.ts';
import { ARCHITECTURES, asArray, evaluate, has, ofTypeIn, usePackagedTemplates, refOf, type Template } from './template-fixture.ts';

let template: Template;
const ofType = (type: string) => ofTypeIn(template, type);

usePackagedTemplates((packaged) => ({ template } = packaged));

describe('serverless.yml → CloudFormation: IAM and runners', () => {
  it('allows no wildcard action in any IAM statement, and "*" resources only where AWS has no resource-level permission', () => {
    // Deny statements may use wildcards (they take permissions away): only what is allowed must be named.
    const statements = [
      // Statements behind a condition (Fn::If) as CloudFormation makes them: the statement, or none (AWS::NoValue).
      ...ofType('AWS::IAM::Role').flatMap(([id, r]) =>
        (r.Properties.Policies ?? []).flatMap((p: any) => evaluate(template, p.PolicyDocument.Statement).filter(Boolean).map((s: any) => ({ id, s }))),
      ),
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
});
