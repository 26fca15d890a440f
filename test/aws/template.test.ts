/**
 * `npx osls package`, exactly as docs/aws.md says, with no arguments, must work offline with no credentials; the
 * generated CloudFormation template must keep the deployment's invariants. This file: packaging and its parameters
 * (JWT issuer, runner network), every non-public route with the JWT authorizer on the function that serves it, a role
 * per function, logs that expire and tracing; test/aws/template-data.test.ts checks the queues, buckets, table,
 * retention and alarms, test/aws/template-runners.test.ts the IAM statements and the runners (docs/security.md).
 */
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/api/routes.ts';
import { API_BASES } from '../../functions/api/http.ts';
import { LAMBDA_ENTRIES } from '../../functions/aws/bundles.ts';
import { COMPOSER_DEPLOYED_PATHS, DEPLOYED_PATHS, isComposerPackageRoute, isPackageRoute } from '../../functions/aws/api-routes.ts';
import { COMPOSER_ROUTES } from '../../functions/composer-v2/composer-routes.ts';
import { COMPOSER_API_BASE } from '../../functions/composer-v2/composer-errors.ts';
import { conflictingVariables } from '../../functions/aws/route-paths.ts';
import { noteSkip, skipTitle } from '../support/skip-notice.ts';
import { canRunOffline, copyCheckout, removeCopy, runOsls, type OslsRun } from './osls-package.ts';
import { ARCHITECTURES, asArray, evaluate, ofTypeIn, usePackagedTemplates, refOf, type Template } from './template-fixture.ts';

const { findParamProblems } = createRequire(import.meta.url)('../../scripts/osls-check-params.cjs') as {
  findParamProblems(custom: { jwt: Record<string, string>; runnerNetwork: Record<string, string> }): string[];
};

let template: Template;
let withParams: Template;
let plain: OslsRun;
const copies: ReturnType<typeof copyCheckout>[] = [];
const ofType = (type: string) => ofTypeIn(template, type);

usePackagedTemplates((packaged) => ({ template, withParams, plain } = packaged));
afterAll(() => copies.forEach(removeCopy));

describe('serverless.yml → CloudFormation: packaging, parameters, routes and functions', () => {
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

  it('outputs the API URL, bucket, table and queue URLs', () => {
    for (const output of ['ApiUrl', 'ArtifactBucketName', 'ComposeTableName', 'QueueUrlPrefix', 'ManifestQueueUrl', 'BuildQueueUrlX8664', 'BuildQueueUrlAarch64']) {
      expect(template.Outputs[output], output).toBeDefined();
    }
  });
});
