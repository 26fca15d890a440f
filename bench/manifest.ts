/**
 * Manifest generation time per image type with a real ~450-package set (taken from a shared reference manifest:
 * images-2023/fedora_39-x86_64-qcow2-boot, 446 os + 188 build packages): prepare + generate + serialization, plus the
 * manifest size. Target: p50 under 5 ms. Also the whole per-compose path (validation at the API, then the worker's
 * prepare → package sets → generate → serialize) for an empty blueprint and one with three plain-text passwords, and
 * how many SHA-512 crypt hashes one compose computes (one per plain-text password since prepare runs once).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { findArchitecture, findDistribution, findImageType } from '../layers/src/distro/registry.ts';
import { emptyBlueprint } from '../layers/src/blueprint/blueprint.ts';
import { serializeManifest } from '../layers/src/manifest/manifest.ts';
import { cryptSalt, sha512Crypt } from '../layers/src/manifest/crypt.ts';
import type { ManifestRequest } from '../layers/src/distro/distribution.ts';
import type { Blueprint } from '../layers/src/blueprint/blueprint.ts';
import type { ResolvedPackage } from '../layers/src/packages/package-set.ts';
import type { GenericImageType } from '../layers/src/distro/generic/image-type.ts';
import { percentiles } from './stats.ts';

const REFERENCE = path.resolve(import.meta.dirname, '../../shared/reference/reference-manifests/images-2023/fedora_39-x86_64-qcow2-boot.json');

function loadPackages(): { build: ResolvedPackage[]; os: ResolvedPackage[] } {
  const data = JSON.parse(readFileSync(REFERENCE, 'utf8')) as {
    rpmmd: Record<string, { name: string; epoch: number; version: string; release: string; arch: string; remote_location: string; checksum: string; check_gpg?: boolean }[]>;
  };
  const convert = (list: (typeof data.rpmmd)[string]): ResolvedPackage[] =>
    list.map((p) => ({ name: p.name, epoch: p.epoch, version: p.version, release: p.release, arch: p.arch, checksum: p.checksum, remoteLocation: p.remote_location, repoId: 'reference', checkGpg: false }));
  const os = convert(data.rpmmd.os);
  // kernel naming differs per image type family; every bootable type installs "kernel"
  return { build: convert(data.rpmmd.build), os };
}

const ITERATIONS = 300;
const WARMUP = 30;

export async function run(): Promise<object> {
  if (!existsSync(REFERENCE)) return { skipped: `reference package set not found: ${REFERENCE}` };
  const packages = loadPackages();
  const results: Record<string, object> = {};
  for (const distroName of ['fedora-43', 'centos-10', 'centos-9']) {
    const distro = findDistribution(distroName);
    const arch = findArchitecture(distro, 'x86_64');
    for (const type of arch.imageTypes as GenericImageType[]) {
      const request = {
        distribution: distroName,
        architecture: 'x86_64',
        imageType: type.name,
        size: 0,
        blueprint: emptyBlueprint(),
        seed: 'bench',
        repositories: [{ id: 'reference', baseurl: ['https://rpmrepo.osbuild.org/'], checkGpg: false }],
      };
      let bytes = 0;
      const samples: number[] = [];
      for (let i = 0; i < WARMUP + ITERATIONS; i++) {
        const t0 = performance.now();
        const text = serializeManifest(type.generate(type.prepare(request), packages).manifest);
        const dt = performance.now() - t0;
        if (i >= WARMUP) samples.push(dt);
        bytes = Buffer.byteLength(text);
      }
      results[`${distroName}/${type.name}`] = { ...percentiles(samples), manifestBytes: bytes, packages: packages.os.length + packages.build.length };
    }
  }
  const p50s = Object.values(results).map((r) => (r as { p50: number }).p50);
  return {
    iterations: ITERATIONS,
    packageSet: 'images-2023/fedora_39-x86_64-qcow2-boot (446 os + 188 build)',
    targetP50Ms: 5,
    worstP50Ms: Math.max(...p50s),
    allUnderTarget: p50s.every((p) => p < 5),
    composePath: measureComposePath(packages),
    perImageType: results,
  };
}

const COMPOSE_ITERATIONS = 100;

/** fedora-43 guest-image through the API's validation and the manifest worker's phases, as one compose runs them. */
function measureComposePath(packages: { build: ResolvedPackage[]; os: ResolvedPackage[] }): object {
  const distro = findDistribution('fedora-43');
  const type = findImageType(distro, findArchitecture(distro, 'x86_64'), 'guest-image');
  const withPasswords: Blueprint = emptyBlueprint();
  withPasswords.customizations.user = [1, 2, 3].map((i) => ({ name: `user${i}`, password: `secret-${i}` }));
  const measure = (blueprint: Blueprint) => {
    const request: ManifestRequest = { distribution: 'fedora-43', architecture: 'x86_64', imageType: type.name, size: 0, blueprint, seed: 'bench' };
    const api: number[] = [];
    const worker: number[] = [];
    for (let i = 0; i < WARMUP + COMPOSE_ITERATIONS; i++) {
      const t0 = performance.now();
      type.validate(request);
      const t1 = performance.now();
      const prepared = type.prepare(request);
      type.packageSets(prepared);
      serializeManifest(type.generate(prepared, packages).manifest);
      const t2 = performance.now();
      if (i < WARMUP) continue;
      api.push(t1 - t0);
      worker.push(t2 - t1);
    }
    return { apiValidate: percentiles(api), workerPrepareToSerialize: percentiles(worker), total: percentiles(api.map((a, i) => a + worker[i])) };
  };
  const hash: number[] = [];
  for (let i = 0; i < WARMUP + COMPOSE_ITERATIONS; i++) {
    const t0 = performance.now();
    sha512Crypt('secret', cryptSalt(Buffer.alloc(16, i)));
    if (i >= WARMUP) hash.push(performance.now() - t0);
  }
  return {
    iterations: COMPOSE_ITERATIONS,
    imageType: 'fedora-43/guest-image',
    sha512CryptMs: percentiles(hash),
    note: 'one hash per plain-text password and compose (counted by test/unit/manifest-prepare-once.test.ts): the passwords add about 3 × sha512CryptMs to the worker and nothing to apiValidate',
    emptyBlueprint: measure(emptyBlueprint()),
    threePlainTextPasswords: measure(withPasswords),
  };
}
