/**
 * Manifest generation runs in two phases, each once per compose: the API edge validates without hashing passwords,
 * the manifest worker prepares once (hashing each plain-text password once) and both package sets and the manifest
 * come from that one prepared result.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createEmbeddedAdapters } from '../../layers/src/adapters/embedded/embedded-adapters.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { createCompose } from '../../layers/src/service/compose-service.ts';
import { generateComposeManifest } from '../../layers/src/service/generate-compose-manifest.ts';
import { previewManifest } from '../../layers/src/service/package-service.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import type { Depsolver } from '../../layers/src/packages/package-set.ts';
import { findArchitecture, findDistribution, findImageType } from '../../layers/src/distro/registry.ts';
import { serializeManifest } from '../../layers/src/manifest/manifest.ts';
import { emptyBlueprint } from '../../layers/src/blueprint/blueprint.ts';
import * as crypt from '../../layers/src/manifest/crypt.ts';
import { fakeResolve, fullBlueprint, generateWithFakePackages, restrictBlueprint } from '../manifest/fixtures.ts';
import type { GenericImageType } from '../../layers/src/distro/generic/image-type.ts';

// Every SHA-512 crypt hash of the generator goes through this spy (the real function still computes it).
vi.mock('../../layers/src/manifest/crypt.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../layers/src/manifest/crypt.ts')>();
  return { ...actual, sha512Crypt: vi.fn(actual.sha512Crypt) };
});
const hashes = vi.mocked(crypt.sha512Crypt);

const fakeDepsolver: Depsolver = {
  resolve: async ({ architecture, sets }) => Object.fromEntries(Object.entries(sets).map(([name, set]) => [name, fakeResolve(set, architecture)])),
  searchPackages: async () => ({ total: 0, packages: [] }),
};

function makeDeps(): ServiceDeps {
  const adapters = createEmbeddedAdapters({ dataDir: mkdtempSync(join(tmpdir(), 'ibs-prepare-')), publicBaseUrl: 'http://127.0.0.1:1' });
  return { ...adapters, depsolver: fakeDepsolver, log: createLogger({}, { write: () => {} }), config: { downloadUrlTtlSeconds: 60, version: 'test' } };
}

/** Two users with plain-text passwords and one with a hash already (never hashed again). */
const composeRequest = {
  distribution: 'fedora-43',
  image_requests: [{ architecture: 'x86_64', image_type: 'guest-image', upload_request: { type: 'aws.s3', options: {} } }],
  customizations: {
    users: [
      { name: 'alice', password: 'alice-secret' },
      { name: 'bob', password: 'bob-secret', groups: ['wheel'] },
      { name: 'carol', password: '$6$BhyxFBgrEFh0VrPJ$MllG8auiU26x2pmzL4.1maHzPHrA.4gTdCvlATFp8HJU9UPee4zCS9BVl2HOzKaUYD/zEm8r/OF05F2icWB0K/' },
    ],
  },
};

beforeEach(() => {
  hashes.mockClear();
});

const hashedPasswords = () => hashes.mock.calls.map(([password]) => password);

describe('manifest generation runs once per compose', () => {
  it('hashes each plain-text password once per compose: API validation hashes nothing, the worker nothing again', async () => {
    const deps = makeDeps();
    const compose = await createCompose(deps, 'org', composeRequest);
    expect(await generateComposeManifest(deps, { kind: 'manifest', orgId: 'org', composeId: compose.id })).toBe('queued');
    expect(hashedPasswords()).toEqual(['alice-secret', 'bob-secret']);
  });

  it('validates without hashing; prepare hashes once, package sets and generation reuse it', () => {
    const distro = findDistribution('fedora-43');
    const type = findImageType(distro, findArchitecture(distro, 'x86_64'), 'guest-image');
    const blueprint = { ...emptyBlueprint(), customizations: { user: [{ name: 'alice', password: 'alice-secret' }, { name: 'bob', password: 'bob-secret' }] } };
    const request = { distribution: 'fedora-43', architecture: 'x86_64', imageType: type.name, size: 0, blueprint, seed: 'once' };
    type.validate(request);
    expect(hashedPasswords()).toEqual([]);
    generateWithFakePackages(type, request);
    expect(hashedPasswords()).toEqual(['alice-secret', 'bob-secret']);
  });

  it('previews a manifest (POST /manifest) with one hash per plain-text password', async () => {
    const preview = await previewManifest(makeDeps(), composeRequest);
    expect(hashedPasswords()).toEqual(['alice-secret', 'bob-secret']);
    expect(serializeManifest(preview.generated.manifest)).toContain('$6$');
  });

  it('declares the package sets and generates the manifest from one prepared request, which generation leaves as it was', () => {
    const distro = findDistribution('centos-9');
    const type = findImageType(distro, findArchitecture(distro, 'x86_64'), 'guest-image') as GenericImageType;
    const request = {
      distribution: 'centos-9',
      architecture: 'x86_64',
      imageType: type.name,
      size: 0,
      blueprint: restrictBlueprint(fullBlueprint(), type.spec.def.supported_options),
      seed: 'once',
    };
    const { prepared, packages, generated } = generateWithFakePackages(type, request);
    expect(hashedPasswords()).toEqual(['plain-secret']); // fullBlueprint: bob's
    expect(serializeManifest(type.generate(prepared, packages).manifest)).toBe(serializeManifest(generated.manifest));
    expect(hashedPasswords()).toEqual(['plain-secret']);
  });

  it('refuses a request prepared by another image type', () => {
    const distro = findDistribution('fedora-43');
    const arch = findArchitecture(distro, 'x86_64');
    const [qcow2, ami] = [findImageType(distro, arch, 'guest-image'), findImageType(distro, arch, 'aws')];
    const prepared = qcow2.prepare({ distribution: 'fedora-43', architecture: 'x86_64', imageType: qcow2.name, size: 0, blueprint: restrictBlueprint(fullBlueprint(), []), seed: 's' });
    expect(() => ami.packageSets(prepared)).toThrow(/prepared by image type guest-image was given to aws/);
  });
});
