/** Helpers reading the shared reference manifests as package-set fixtures (never copied into the repo). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedPackage, RepositoryConfig } from '../../layers/src/packages/package-set.ts';
import type { Manifest, Stage } from '../../layers/src/manifest/manifest.ts';

export const SHARED = path.resolve(import.meta.dirname, '../../../shared');
export const REFERENCE_DIR = path.join(SHARED, 'reference/reference-manifests');
export const SCHEMA_DIR = path.join(SHARED, 'reference/osbuild-schemas');
export const BLUEPRINT_DIR = path.join(SHARED, 'reference/blueprints');
export const hasReferences = existsSync(REFERENCE_DIR);
export const hasSchemas = existsSync(SCHEMA_DIR);

export interface ReferenceFile {
  file: string;
  distro: string;
  arch: string;
  imageType: string;
  manifest: Manifest;
  blueprint?: unknown;
}

export function readReference(relative: string): ReferenceFile {
  const data = JSON.parse(readFileSync(path.join(REFERENCE_DIR, relative), 'utf8'));
  const desc = data.desc ?? data['compose-request'] ?? data['build-request'];
  return {
    file: relative,
    distro: desc.distro,
    arch: desc.arch,
    imageType: desc['image-type'],
    manifest: data.manifest,
    blueprint: desc.blueprint ?? data['compose-request']?.blueprint,
  };
}

/** name-version-release.arch from an RPM URL (epoch is not in file names). */
export function parseRpmFilename(url: string): Pick<ResolvedPackage, 'name' | 'version' | 'release' | 'arch'> {
  const file = url.slice(url.lastIndexOf('/') + 1).replace(/\.rpm$/, '');
  const arch = file.slice(file.lastIndexOf('.') + 1);
  const nvr = file.slice(0, file.lastIndexOf('.'));
  const release = nvr.slice(nvr.lastIndexOf('-') + 1);
  const nv = nvr.slice(0, nvr.lastIndexOf('-'));
  return { name: nv.slice(0, nv.lastIndexOf('-')), version: nv.slice(nv.lastIndexOf('-') + 1), release, arch };
}

export const REFERENCE_REPO_ID = 'reference';

/** The depsolved package set a reference pipeline installed, rebuilt from its rpm stages and curl sources. */
export function packagesOf(manifest: Manifest, pipeline: string): ResolvedPackage[] {
  const urls = (manifest.sources?.['org.osbuild.curl']?.items ?? {}) as Record<string, { url: string } | string>;
  const p = manifest.pipelines.find((x) => x.name === pipeline);
  if (!p) throw new Error(`no pipeline ${pipeline}`);
  const out: ResolvedPackage[] = [];
  for (const stage of p.stages.filter((s: Stage) => s.type === 'org.osbuild.rpm')) {
    const refs = stage.inputs!.packages.references as ({ id: string; options?: { metadata?: Record<string, unknown> } } | string)[];
    for (const ref of refs) {
      const id = typeof ref === 'string' ? ref : ref.id;
      const item = urls[id];
      const url = typeof item === 'string' ? item : item.url;
      out.push({
        ...parseRpmFilename(url),
        epoch: 0,
        checksum: id,
        remoteLocation: url,
        repoId: REFERENCE_REPO_ID,
        checkGpg: typeof ref !== 'string' && ref.options?.metadata?.['rpm.check_gpg'] === true,
      });
    }
  }
  return out;
}

/** One repository carrying the GPG keys the reference rpm stages used. */
export function referenceRepositories(manifest: Manifest): RepositoryConfig[] {
  const keys = new Set<string>();
  for (const p of manifest.pipelines) {
    for (const s of p.stages) if (s.type === 'org.osbuild.rpm') for (const k of (s.options?.gpgkeys as string[] | undefined) ?? []) keys.add(k);
  }
  return [{ id: REFERENCE_REPO_ID, baseurl: ['https://rpmrepo.osbuild.org/'], gpgkeys: [...keys], checkGpg: keys.size > 0 }];
}
