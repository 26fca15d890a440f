import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import type { Depsolver, PackageGroup } from '../../layers/src/packages/package-set.ts';
import { rankByGroups } from '../../layers/src/service/package-recommendations.ts';
import { tokenHeaders } from '../support/auth.ts';

/** Comps-like groups the stub depsolver reports for every distribution. */
const GROUPS: PackageGroup[] = [
  { id: 'web-server', name: 'Web Server', packages: ['nginx', 'httpd', 'mod_ssl', 'certbot'] },
  { id: 'tls', name: 'TLS', packages: ['nginx', 'certbot'] },
  { id: 'editors', name: 'Editors', packages: ['vim-enhanced', 'emacs', 'nano'] },
];

let stack: LocalStack;
let api: string;
let as: ReturnType<typeof tokenHeaders>;
const groupQueries: unknown[] = [];

beforeAll(async () => {
  const depsolver: Depsolver = {
    resolve: async () => ({}),
    searchPackages: async () => ({ total: 0, packages: [] }),
    packageGroups: async (query) => {
      groupQueries.push(query);
      return GROUPS;
    },
  };
  stack = await startLocalStack({ dataDir: mkdtempSync(join(tmpdir(), 'ibs-oscap-')), port: 0, runners: 0, depsolver, log: createLogger({}, { write: () => {} }) });
  api = `${stack.url}/api/image-builder/v1`;
  as = tokenHeaders(stack);
});
afterAll(() => stack.stop());

const call = async (method: string, path: string, body?: unknown, org = 'org-oscap') => {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { ...(await as(org)), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
};

describe('OpenSCAP operations without SCAP content', () => {
  it('profiles: an empty list and a note saying no SCAP content is available; an unknown distribution is a 400', async () => {
    const profiles = await call('GET', '/oscap/centos-9/profiles');
    expect(profiles.status).toBe(200);
    expect(profiles.body).toEqual([]);
    expect(profiles.headers.get('x-ibs-note')).toMatch(/no SCAP content is available for centos-9/);
    const unknown = await call('GET', '/oscap/rhel-42/profiles');
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].detail).toMatch(/unknown distribution "rhel-42"/);
  });

  it('a profile\'s customizations: a 400 naming the profile and why, never a 500', async () => {
    const res = await call('GET', '/oscap/fedora-43/xccdf_org.ssgproject.content_profile_cis/customizations');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].detail).toMatch(/"xccdf_org.ssgproject.content_profile_cis" is not an OpenSCAP profile of fedora-43.*no SCAP content/);
    expect((await call('GET', '/oscap/nope/xccdf_org.ssgproject.content_profile_cis/customizations')).status).toBe(400);
  });

  it('policy customizations: a 400 saying the compliance service is missing; a malformed policy id is a 400 too', async () => {
    const res = await call('GET', '/oscap/fef25b3c-b970-46da-a4e1-cc4d855b98dc/centos-9/policy_customizations');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].detail).toMatch(/Insights Compliance service/);
    expect((await call('GET', '/oscap/not-a-uuid/centos-9/policy_customizations')).body.errors[0].detail).toMatch(/policy: "not-a-uuid" is not a UUID/);
  });
});

describe('experimental operations', () => {
  it('recommendations rank packages sharing comps groups with the given ones; rhel9 reads centos-9', async () => {
    const res = await call('POST', '/experimental/recommendations', { packages: ['nginx'], recommendedPackages: 2, distribution: 'rhel9' });
    expect(res.status).toBe(200);
    // certbot shares both groups with nginx (2/4 + 1/2... weighted by group size), then the web server group's others.
    expect(res.body).toEqual({ packages: ['certbot', 'httpd'], modelVersion: 'ibs-comps-cooccurrence-1 (centos-9 comps groups)' });
    expect(groupQueries.at(-1)).toMatchObject({ architecture: 'x86_64', releasever: '9' });
    expect((await call('POST', '/experimental/recommendations', { packages: ['unknown-pkg'], recommendedPackages: 3, distribution: 'fedora-43' })).body.packages).toEqual([]);
  });

  it('recommendations refuse a distribution without package data (rhel8) and malformed bodies with a 400', async () => {
    const rhel8 = await call('POST', '/experimental/recommendations', { packages: ['nginx'], recommendedPackages: 3, distribution: 'rhel8' });
    expect(rhel8.status).toBe(400);
    expect(rhel8.body.errors[0].detail).toMatch(/unsupported distribution "rhel8".*rhel9 \(as centos-9\)/);
    expect((await call('POST', '/experimental/recommendations', { packages: ['nginx'], distribution: 'rhel9' })).body.errors[0].detail).toMatch(/recommendedPackages/);
  });

  it('rankByGroups weighs small shared groups over large ones and breaks ties by name', () => {
    expect(rankByGroups(GROUPS, ['nginx', 'certbot'], 5)).toEqual(['httpd', 'mod_ssl']);
    expect(rankByGroups(GROUPS, ['nano'], 5)).toEqual(['emacs', 'vim-enhanced']);
  });

  it('fixup saves the blueprint as its next version (200, no body, as the hosted spec says), keeps its password hash; 404 for another organization', async () => {
    const blueprint = {
      name: 'fixme',
      distribution: 'fedora-43',
      image_requests: [{ architecture: 'x86_64', image_type: 'guest-image', upload_request: { type: 'aws.s3', options: {} } }],
      customizations: { users: [{ name: 'alice', password: 'secret' }] },
    };
    const { status, body } = await call('POST', '/blueprints', blueprint);
    expect(status, JSON.stringify(body)).toBe(201);
    const before = await stack.deps.blueprints!.get('org-oscap', body.id);
    const fixed = await call('POST', `/experimental/blueprints/${body.id}/fixup`);
    expect(fixed).toMatchObject({ status: 200, body: undefined });
    const after = await stack.deps.blueprints!.get('org-oscap', body.id);
    expect(after).toMatchObject({ version: 2, body: before!.body });
    expect((await call('POST', `/experimental/blueprints/${body.id}/fixup`, undefined, 'org-other')).status).toBe(404);
    expect((await call('POST', '/experimental/blueprints/123/fixup')).status).toBe(400);
  });
});

describe('what the hosted API has and this service does not deliver yet', () => {
  it('a bootc compose: a 400 saying image mode is not supported (not an unknown field or a missing distribution)', async () => {
    const res = await call('POST', '/compose', { bootc: { reference: 'quay.io/example/rhel-10-ec2:latest' }, image_requests: [{ architecture: 'x86_64', image_type: 'aws' }] }, 'org-bootc');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].detail).toBe('bootc: bootc (image mode) composes are not supported by this service; give a distribution');
  });

  for (const type of ['gcp', 'azure', 'oci.objectstorage']) {
    it(`${type}: accepted by the schema and refused with a 400 naming it, nothing stored`, async () => {
      const request = { distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar', upload_request: { type, options: {} } }] };
      const res = await call('POST', '/compose', request, `org-upload-${type}`);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].detail).toBe(`image_requests[0].upload_request.type: upload type "${type}" is not supported by this service yet; use aws.s3 (a download link of the image)`);
      expect((await stack.deps.store.list(`org-upload-${type}`, { limit: 10, offset: 0 })).total).toBe(0);
      const preview = await call('POST', '/manifest', request);
      expect(preview.status).toBe(400);
      expect(preview.body.errors[0].detail).toMatch(`upload type "${type}" is not supported`);
      const tarImage = { architecture: 'x86_64', image_type: 'tar', upload_request: { type: 'aws.s3', options: {} } };
      const saved = await call('POST', '/blueprints', { name: `bp-${type}`, distribution: 'test-distro-1', customizations: {}, image_requests: [tarImage, { ...tarImage, upload_request: { type, options: {} } }] });
      expect(saved.status).toBe(400);
      expect(saved.body.errors[0].detail).toMatch(new RegExp(`^image_requests\\[1\\]\\.upload_request\\.type: upload type "${type.replace('.', '\\.')}" is not supported`));
    });
  }
});
