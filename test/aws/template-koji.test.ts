/**
 * Issue 16: the Koji hub client certificate on AWS. Without `kojiCertParameters` no role may read SSM and the
 * functions get an empty IBS_KOJI_CERT_PARAMETERS; with it, the two functions that call the hub (api: CGInitBuild,
 * statusEvents: the import) get the path, and their roles may `ssm:GetParameters` on exactly its three parameters.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, ofTypeIn, usePackagedTemplates, type Template } from './template-fixture.ts';

let template: Template;
let withParams: Template;
usePackagedTemplates((packaged) => ({ template, withParams } = packaged));

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown };
const statementsOf = (t: Template, role: string): Statement[] =>
  (evaluate(t, t.Resources[role]!.Properties.Policies) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement)
    // an Fn::If that chose AWS::NoValue: CloudFormation leaves the list item out
    .filter((s) => s !== undefined);
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
/** Every role's statements that grant an SSM action. */
const ssmGrants = (t: Template) =>
  ofTypeIn(t, 'AWS::IAM::Role').flatMap(([name]) => statementsOf(t, name).filter((s) => actionsOf(s).some((a) => a.startsWith('ssm:'))).map((s) => ({ role: name, s })));
const envOf = (t: Template, fn: string) => t.Resources[fn]!.Properties.Environment.Variables as Record<string, unknown>;
const PARAMETER_ARN = (name: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/ibs/koji/${name}` });

describe('the Koji client certificate parameters', () => {
  it('are not readable by any role when none is given, and the variable is empty', () => {
    expect(ssmGrants(template)).toEqual([]);
    for (const fn of ['ApiLambdaFunction', 'StatusEventsLambdaFunction']) expect(envOf(template, fn).IBS_KOJI_CERT_PARAMETERS).toBe('');
  });

  it('given (--param kojiCertParameters=/ibs/koji): api and statusEvents read exactly cert, key and ca, nothing else of SSM', () => {
    const grants = ssmGrants(withParams);
    expect(grants.map((g) => g.role).sort()).toEqual(['ApiRole', 'StatusEventsRole']);
    for (const { s } of grants) {
      expect(s).toEqual({ Sid: 'KojiClientCertificate', Effect: 'Allow', Action: ['ssm:GetParameters'], Resource: ['cert', 'key', 'ca'].map(PARAMETER_ARN) });
    }
    for (const fn of ['ApiLambdaFunction', 'StatusEventsLambdaFunction']) expect(envOf(withParams, fn).IBS_KOJI_CERT_PARAMETERS).toBe('/ibs/koji');
    expect(envOf(withParams, 'ApiPackagesLambdaFunction').IBS_KOJI_CERT_PARAMETERS).toBeUndefined();
  });
});
