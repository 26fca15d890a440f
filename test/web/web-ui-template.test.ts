/**
 * The web UI's AWS hosting as serverless.yml declares it (test/aws/template.test.ts packages the whole template with
 * `npx osls package`; here the YAML is read directly, CloudFormation tags as their JSON forms, to keep the suite fast):
 * a private bucket only the stack's CloudFront distribution reads (origin access control), the API behind the same
 * distribution, the user pool's app client allowed the code flow back to the distribution, no dependency cycle; and the
 * config.json the deploy plugin writes.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, type ScalarTag, type CollectionTag } from 'yaml';
import { REPO_ROOT } from '../aws/osls-package.ts';

type Resource = { Type: string; Condition?: string; DependsOn?: string | string[]; Properties: any };
let resources: Record<string, Resource>;
let outputs: Record<string, { Value: unknown; Condition?: string }>;

/** CloudFormation's short tags (!Ref, !Sub, ...) as the JSON the template would hold. */
function cloudFormationTags(): (ScalarTag | CollectionTag)[] {
  const fn = (name: string, json: (v: unknown) => unknown) => [
    { tag: `!${name}`, resolve: (v: string) => json(v) } as ScalarTag,
    { tag: `!${name}`, collection: 'seq', resolve: (v: { toJSON(): unknown }) => json(v.toJSON()) } as unknown as CollectionTag,
    { tag: `!${name}`, collection: 'map', resolve: (v: { toJSON(): unknown }) => json(v.toJSON()) } as unknown as CollectionTag,
  ];
  return [
    ...fn('Ref', (v) => ({ Ref: v })),
    ...fn('GetAtt', (v) => ({ 'Fn::GetAtt': typeof v === 'string' ? [v.slice(0, v.indexOf('.')), v.slice(v.indexOf('.') + 1)] : v })),
    ...['Sub', 'If', 'Not', 'Equals', 'GetAZs', 'Split', 'Join', 'Select'].flatMap((name) => fn(name, (v) => ({ [`Fn::${name}`]: v }))),
  ];
}

beforeAll(() => {
  const yml = parse(readFileSync(join(REPO_ROOT, 'serverless.yml'), 'utf8'), { customTags: cloudFormationTags() });
  resources = yml.resources.Resources;
  outputs = yml.resources.Outputs;
});

/** Logical ids a value refers to (Ref, Fn::GetAtt, ${Name} in Fn::Sub). */
function referencesOf(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => referencesOf(v, out));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'Ref' && typeof v === 'string') out.add(v);
      else if (key === 'Fn::GetAtt') out.add(Array.isArray(v) ? String(v[0]) : String(v).split('.')[0]);
      else if (key === 'Fn::Sub') for (const m of String(Array.isArray(v) ? v[0] : v).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) out.add(m[1]);
      referencesOf(v, out);
    }
  }
  return out;
}

describe('web UI hosting in serverless.yml', () => {
  it('keeps the UI bucket private and encrypted; only this distribution may read it, over TLS', () => {
    const bucket = resources.WebUiBucket;
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.Properties.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.Properties.WebsiteConfiguration).toBeUndefined();
    const statements = resources.WebUiBucketPolicy.Properties.PolicyDocument.Statement as any[];
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' });
    expect(JSON.stringify(allows[0].Condition.StringEquals['AWS:SourceArn'])).toContain('${WebUiDistribution}');
    expect(statements.find((s) => s.Effect === 'Deny')?.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
  });

  it('serves the bucket through origin access control, UI routes as index.html, and /api/* from the HTTP API uncached', () => {
    const config = resources.WebUiDistribution.Properties.DistributionConfig;
    const ui = config.Origins.find((o: any) => o.Id === 'web-ui');
    expect(ui.OriginAccessControlId).toEqual({ 'Fn::GetAtt': ['WebUiOriginAccessControl', 'Id'] });
    expect(ui.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    expect(resources.WebUiOriginAccessControl.Properties.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always' });
    expect(config.DefaultCacheBehavior).toMatchObject({ TargetOriginId: 'web-ui', ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] });
    expect(config.DefaultCacheBehavior.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': ['WebUiRoutes', 'FunctionMetadata.FunctionARN'] } }]);
    const api = config.CacheBehaviors.find((b: any) => b.PathPattern === '/api/*');
    expect(api).toMatchObject({ TargetOriginId: 'api', ViewerProtocolPolicy: 'https-only', CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad' });
    expect(config.Origins.find((o: any) => o.Id === 'api').DomainName['Fn::Sub']).toContain('${HttpApi}.execute-api');
    // The routing function: extension-less paths (the UI's routes) become /index.html, files stay.
    const route = new Function(`${resources.WebUiRoutes.Properties.FunctionCode}; return handler;`)() as (e: { request: { uri: string } }) => { uri: string };
    expect(route({ request: { uri: '/images/0b4f1c1e-0000-4000-8000-000000000000' } }).uri).toBe('/index.html');
    expect(route({ request: { uri: '/assets/index-abc.js' } }).uri).toBe('/assets/index-abc.js');
    expect(route({ request: { uri: '/config.json' } }).uri).toBe('/config.json');
    const headers = resources.WebUiHeaders.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(headers.ContentSecurityPolicy.ContentSecurityPolicy).toContain("script-src 'self'");
    expect(headers.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31536000);
  });

  it("lets the stack's app client sign the UI in with the code flow (no secret), back to the distribution", () => {
    const client = resources.UserPoolClient.Properties;
    expect(client).toMatchObject({ GenerateSecret: false, AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code'], SupportedIdentityProviders: ['COGNITO'] });
    expect(client.AllowedOAuthScopes).toContain('openid');
    expect(client.CallbackURLs).toEqual([{ 'Fn::Sub': 'https://${WebUiDistribution.DomainName}/auth/callback' }]);
    expect(resources.WebUiUserPoolDomain.Condition).toBe('UseStackUserPool');
    for (const name of ['WebUiUrl', 'WebUiBucketName', 'WebUiOidcIssuer', 'WebUiOidcClientId', 'WebUiOidcDomain']) expect(outputs[name], name).toBeDefined();
  });

  it('has no dependency cycle among the resources', () => {
    const edges = new Map(Object.entries(resources).map(([id, r]) => [id, [...referencesOf(r.Properties), ...[r.DependsOn ?? []].flat()].filter((d) => d in resources)]));
    const state = new Map<string, 'visiting' | 'done'>();
    const cycle: string[] = [];
    const visit = (id: string): boolean => {
      if (state.get(id) === 'done') return false;
      if (state.get(id) === 'visiting') return cycle.push(id), true;
      state.set(id, 'visiting');
      for (const next of edges.get(id) ?? []) if (visit(next)) return cycle.push(id), true;
      state.set(id, 'done');
      return false;
    };
    for (const id of edges.keys()) if (visit(id)) break;
    expect(cycle.reverse()).toEqual([]);
  });

  it("writes the UI's config.json from the stack outputs: same-origin API, OIDC against the user pool's hosted sign-in", () => {
    const { runtimeConfigOf } = createRequire(import.meta.url)('../../scripts/osls-web-ui.cjs');
    const config = runtimeConfigOf({
      WebUiOidcIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
      WebUiOidcClientId: 'client123',
      WebUiOidcDomain: 'https://ibs-dev-1.auth.eu-west-1.amazoncognito.com',
    });
    expect(config).toEqual({
      apiBase: '/api/image-builder/v1',
      auth: {
        mode: 'oidc',
        issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
        clientId: 'client123',
        tokenType: 'id',
        authorizationEndpoint: 'https://ibs-dev-1.auth.eu-west-1.amazoncognito.com/oauth2/authorize',
        tokenEndpoint: 'https://ibs-dev-1.auth.eu-west-1.amazoncognito.com/oauth2/token',
        logoutEndpoint: 'https://ibs-dev-1.auth.eu-west-1.amazoncognito.com/logout',
      },
    });
    // Your own issuer: its discovery document gives the endpoints.
    expect(runtimeConfigOf({ WebUiOidcIssuer: 'https://id.example', WebUiOidcClientId: 'ibs' }).auth).toEqual({ mode: 'oidc', issuer: 'https://id.example', clientId: 'ibs', tokenType: 'id' });
  });
});
