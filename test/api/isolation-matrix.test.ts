/**
 * Isolation matrix: two organizations, each with a built compose (status, metadata, manifests, SBOMs, logs, download
 * link) and a blueprint with a compose of its own; every non-public operation is asked by each organization about the
 * other's objects. Another organization's object is a 404 exactly like an id that never existed (never a 403, never
 * its data), lists hold only the asker's objects, writes change nothing, and no response to one organization contains
 * the other's ids or data. Download links are signed for one object of one organization and expire.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/api/routes.ts';
import type { LocalStack } from '../../local/stack.ts';
import { killProcessesMentioning, startDoubleStack, waitFor } from '../runner/helpers.ts';

interface Tenant {
  org: string;
  auth: Record<string, string>;
  /** Text only this organization's data contains (hostname, file content, blueprint name). */
  marker: string;
  composeId: string;
  blueprintId: string;
  blueprintName: string;
  blueprintComposeId: string;
  downloadUrl: string;
}

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

let stack: LocalStack;
let dataDir: string;
let api: string;
const tenants: Tenant[] = [];

async function send(who: Pick<Tenant, 'auth'>, call: Call): Promise<{ status: number; text: string }> {
  const response = await fetch(`${api}${call.path}`, {
    method: call.method,
    headers: { ...who.auth, ...(call.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
  });
  return { status: response.status, text: await response.text() };
}

const request = (marker: string) => ({
  distribution: 'test-distro-1',
  image_requests: [{ architecture: 'x86_64', image_type: 'tar', upload_request: { type: 'aws.s3', options: {} } }],
  customizations: { hostname: marker, files: [{ path: '/etc/motd', data: `${marker}\n` }] },
});

async function createTenant(name: string): Promise<Tenant> {
  const org = `org-${name}-${randomUUID().slice(0, 8)}`;
  const marker = `secret-${name}-${randomUUID()}`;
  const auth = { authorization: `Bearer ${await stack.mintToken(org, `${name}-admin`)}` };
  const created = await send({ auth }, { method: 'POST', path: '/compose', body: { ...request(marker), image_name: marker } });
  expect(created.status, created.text).toBe(201);
  const composeId = (JSON.parse(created.text) as { id: string }).id;
  const blueprintName = `bp-${marker}`;
  const bp = await send({ auth }, { method: 'POST', path: '/blueprints', body: { name: blueprintName, description: marker, ...request(marker) } });
  expect(bp.status, bp.text).toBe(201);
  const blueprintId = (JSON.parse(bp.text) as { id: string }).id;
  const bpCompose = await send({ auth }, { method: 'POST', path: `/blueprints/${blueprintId}/compose`, body: {} });
  expect(bpCompose.status, bpCompose.text).toBeLessThan(300);
  const blueprintComposeId = (JSON.parse(bpCompose.text) as string[] | { id: string }[]).map((c) => (typeof c === 'string' ? c : c.id))[0];
  return { org, auth, marker, composeId, blueprintId, blueprintName, blueprintComposeId, downloadUrl: '' };
}

/** Every non-public operation, asked about `owner`'s objects (ids of `owner`, bodies that are valid for anyone). */
function callsAbout(owner: Tenant): Record<string, Call> {
  const c = owner.composeId;
  const b = owner.blueprintId;
  return {
    getDistributions: { method: 'GET', path: '/distributions' },
    getDistribution: { method: 'GET', path: '/distributions/test-distro-1' },
    getArchitectures: { method: 'GET', path: '/architectures/test-distro-1' },
    composeImage: { method: 'POST', path: '/compose', body: request('asker') },
    getComposes: { method: 'GET', path: '/composes?limit=100' },
    getComposeStatus: { method: 'GET', path: `/composes/${c}` },
    getComposeMetadata: { method: 'GET', path: `/composes/${c}/metadata` },
    getComposeManifests: { method: 'GET', path: `/composes/${c}/manifests` },
    getComposeSboms: { method: 'GET', path: `/composes/${c}/sboms` },
    getComposeLogs: { method: 'GET', path: `/composes/${c}/logs` },
    deleteCompose: { method: 'DELETE', path: `/composes/${c}` },
    cancelCompose: { method: 'POST', path: `/composes/${c}/cancel` },
    createBlueprint: { method: 'POST', path: '/blueprints', body: { name: owner.blueprintName, ...request('asker') } },
    getBlueprints: { method: 'GET', path: `/blueprints?name=${encodeURIComponent(owner.blueprintName)}` },
    getBlueprint: { method: 'GET', path: `/blueprints/${b}` },
    updateBlueprint: { method: 'PUT', path: `/blueprints/${b}`, body: { name: owner.blueprintName, ...request('overwritten') } },
    deleteBlueprint: { method: 'DELETE', path: `/blueprints/${b}` },
    exportBlueprint: { method: 'GET', path: `/blueprints/${b}/export` },
    importBlueprint: { method: 'POST', path: '/blueprints/import', body: { name: `imported-${randomUUID()}`, ...request('asker') } },
    composeBlueprint: { method: 'POST', path: `/blueprints/${b}/compose`, body: {} },
    getBlueprintComposes: { method: 'GET', path: `/blueprints/${b}/composes` },
    searchPackages: { method: 'GET', path: '/packages?distribution=test-distro-1&architecture=x86_64&search=a' },
    depsolve: { method: 'POST', path: '/depsolve', body: { distribution: 'test-distro-1', architecture: 'x86_64', packages: [] } },
    previewManifest: { method: 'POST', path: '/manifest', body: request('asker') },
    getOscapProfiles: { method: 'GET', path: '/oscap/test-distro-1/profiles' },
    getOscapCustomizations: { method: 'GET', path: '/oscap/test-distro-1/xccdf_org.ssgproject.content_profile_cis/customizations' },
    getOscapCustomizationsForPolicy: { method: 'GET', path: `/oscap/${randomUUID()}/test-distro-1/policy_customizations` },
    recommendPackage: { method: 'POST', path: '/experimental/recommendations', body: { packages: ['vim'], recommendedPackages: 3 } },
    fixupBlueprint: { method: 'POST', path: `/experimental/blueprints/${b}/fixup` },
  };
}

/** The operations that name one of the owner's objects: asked by another organization they must be a 404. */
const OBJECT_OPERATIONS = [
  'getComposeStatus', 'getComposeMetadata', 'getComposeManifests', 'getComposeSboms', 'getComposeLogs', 'deleteCompose', 'cancelCompose',
  'getBlueprint', 'updateBlueprint', 'deleteBlueprint', 'exportBlueprint', 'composeBlueprint', 'getBlueprintComposes', 'fixupBlueprint',
];

const secretsOf = (t: Tenant): string[] => [t.org, t.marker, t.composeId, t.blueprintId, t.blueprintComposeId, new URL(t.downloadUrl).pathname];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ibs-isolation-'));
  stack = await startDoubleStack(dataDir, 0);
  api = `${stack.url}/api/image-builder/v1`;
  for (const name of ['alpha', 'beta']) tenants.push(await createTenant(name));
  // Both composes built (so metadata, SBOMs, logs and download links exist), each with its download link.
  for (const t of tenants) {
    const status = await waitFor(`${t.org}'s compose built`, async () => {
      const s = JSON.parse((await send(t, { method: 'GET', path: `/composes/${t.composeId}` })).text) as { image_status: { status: string; upload_status?: { options: { url: string } } } };
      return ['success', 'failure'].includes(s.image_status.status) ? s : undefined;
    }, 120_000);
    expect(status.image_status.status).toBe('success');
    t.downloadUrl = status.image_status.upload_status!.options.url;
  }
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  killProcessesMentioning(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('isolation matrix: two organizations × every operation × every object kind', () => {
  it('covers every non-public operation of the API', () => {
    const covered = Object.keys(callsAbout({ composeId: 'c', blueprintId: 'b', blueprintName: 'n' } as Tenant));
    expect(covered.sort()).toEqual(ROUTES.filter((r) => !r.public).map((r) => r.operationId).sort());
  });

  it("each organization reads its own objects: status, metadata, manifests, SBOMs, logs, blueprint, export, lists", async () => {
    for (const owner of tenants) {
      const calls = callsAbout(owner);
      for (const op of ['getComposeStatus', 'getComposeMetadata', 'getComposeManifests', 'getComposeSboms', 'getComposeLogs', 'getBlueprint', 'exportBlueprint', 'getBlueprintComposes']) {
        const r = await send(owner, calls[op]);
        expect(r.status, `${owner.org} ${op}: ${r.text.slice(0, 300)}`).toBe(200);
      }
      expect((await send(owner, calls.getComposes)).text).toContain(owner.composeId);
      expect((await send(owner, calls.getBlueprints)).text).toContain(owner.blueprintId);
      expect((await send(owner, calls.getBlueprintComposes)).text).toContain(owner.blueprintComposeId);
      // Another user of the same organization sees the same objects.
      const colleague = { auth: { authorization: `Bearer ${await stack.mintToken(owner.org, 'colleague')}` } };
      expect((await send(colleague, calls.getComposeStatus)).status).toBe(200);
    }
  });

  it("another organization's object is a 404 exactly like an id that never existed, and no answer carries the owner's ids or data", async () => {
    const [alpha, beta] = tenants;
    for (const [asker, owner] of [[alpha, beta], [beta, alpha]] as const) {
      const about = callsAbout(owner);
      const secrets = secretsOf(owner);
      for (const [op, call] of Object.entries(about)) {
        const r = await send(asker, call);
        const where = `${asker.org} → ${op} ${call.method} ${call.path}: ${r.status} ${r.text.slice(0, 300)}`;
        expect(r.status, where).toBeLessThan(500);
        expect(r.status, where).not.toBe(403);
        // Only what the asker sent may come back (a 404 names the id asked for; a new blueprint its name).
        const sent = `${call.path} ${JSON.stringify(call.body ?? '')}`;
        for (const secret of secrets.filter((x) => !sent.includes(x))) expect(r.text, `${where} contains ${secret}`).not.toContain(secret);
        if (op === 'createBlueprint') expect(r.status, `names are unique per organization only: ${where}`).toBe(201);
        if (op === 'getBlueprints') expect((JSON.parse(r.text) as { data: { id: string }[] }).data.map((d) => d.id), where).not.toContain(owner.blueprintId);
        if (!OBJECT_OPERATIONS.includes(op)) continue;
        expect(r.status, where).toBe(404);
        // Indistinguishable from an object that does not exist anywhere.
        const missingId = randomUUID();
        const never = await send(asker, { ...call, path: call.path.replace(owner.composeId, missingId).replace(owner.blueprintId, missingId) });
        expect(never.status, where).toBe(404);
        expect(JSON.parse(r.text.replaceAll(owner.composeId, 'ID').replaceAll(owner.blueprintId, 'ID')), where).toEqual(JSON.parse(never.text.replaceAll(missingId, 'ID')));
      }
    }
  });

  it("nothing another organization tried changed the owner's objects", async () => {
    for (const owner of tenants) {
      const status = JSON.parse((await send(owner, { method: 'GET', path: `/composes/${owner.composeId}` })).text) as { image_status: { status: string } };
      expect(status.image_status.status).toBe('success');
      const blueprint = JSON.parse((await send(owner, { method: 'GET', path: `/blueprints/${owner.blueprintId}` })).text) as Record<string, unknown>;
      expect(JSON.stringify(blueprint)).toContain(owner.marker);
      expect(JSON.stringify(blueprint)).not.toContain('overwritten');
      // Only the owner's own blueprint compose: the other organization's POST /blueprints/{id}/compose made none.
      const composes = JSON.parse((await send(owner, { method: 'GET', path: `/blueprints/${owner.blueprintId}/composes` })).text) as { meta: { count: number } };
      expect(composes.meta.count).toBe(1);
    }
  });

  it('download links: a capability for one object of one organization, signed, expiring', async () => {
    const [alpha, beta] = tenants;
    const url = new URL(alpha.downloadUrl);
    expect(Number(url.searchParams.get('expires'))).toBeGreaterThan(Date.now() / 1000);
    expect(url.pathname).toContain(`/${alpha.org}/${alpha.composeId}/`);
    expect((await fetch(url)).status).toBe(200);
    // The same signature on another organization's object, another compose of the same organization, or a later expiry.
    for (const forged of [
      url.href.replace(`/${alpha.org}/${alpha.composeId}/`, `/${beta.org}/${beta.composeId}/`),
      url.href.replace(alpha.composeId, alpha.blueprintComposeId),
      (() => {
        const later = new URL(url);
        later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
        return later.href;
      })(),
    ]) {
      const r = await fetch(forged);
      expect(r.status, forged).toBe(403);
      expect(await r.text()).not.toContain(beta.marker);
    }
    const expired = new URL(await stack.deps.blobs.downloadUrl(url.pathname.slice('/_blobs/'.length), { expiresIn: 1 }));
    await new Promise((r) => setTimeout(r, 2100));
    expect((await fetch(expired)).status).toBe(403);
  });
});
