/**
 * The content-generator metadata of a Koji import (metadata_version 0), as osbuild-composer's koji target writes it:
 * the build (NVR, task, times, `extra.typeinfo.image` per image file), one buildroot with the build pipeline's RPMs,
 * and the outputs (image, osbuild manifest, log) with sizes, MD5 checksums, types and arch.
 */
import type { ResolvedPackage } from '../../../layers/src/packages/package-set.ts';

export interface KojiBuildTarget {
  taskId: number;
  name: string;
  version: string;
  release: string;
}

/** One uploaded file: what the output entry says about it. */
export interface KojiUploadedFile {
  filename: string;
  size: number;
  md5: string;
  type: 'image' | 'osbuild-manifest' | 'log';
}

export interface KojiImportInput {
  koji: KojiBuildTarget;
  buildId: number;
  arch: string;
  bootMode?: string;
  imageType: string;
  /** Epoch seconds. */
  startTime: number;
  endTime: number;
  osbuildVersion: string;
  serviceVersion: string;
  /** The depsolved package sets: `build` is the buildroot's, the rest the image's. */
  packages: Record<string, ResolvedPackage[]>;
  files: KojiUploadedFile[];
}

/** A package as a Koji RPM component. */
const component = (p: ResolvedPackage) => ({
  type: 'rpm',
  name: p.name,
  version: p.version,
  release: p.release,
  epoch: p.epoch ? p.epoch : null,
  arch: p.arch,
  sigmd5: p.checksum,
  signature: null,
});

export function kojiImportMetadata(input: KojiImportInput) {
  const imagePackages = Object.entries(input.packages).filter(([set]) => set !== 'build').flatMap(([, list]) => list);
  const images = input.files.filter((f) => f.type === 'image');
  const imageInfo = { arch: input.arch, ...(input.bootMode ? { boot_mode: input.bootMode } : {}), osbuild_version: input.osbuildVersion };
  return {
    metadata_version: 0,
    build: {
      build_id: input.buildId,
      task_id: input.koji.taskId,
      name: input.koji.name,
      version: input.koji.version,
      release: input.koji.release,
      source: 'osbuild',
      start_time: input.startTime,
      end_time: input.endTime,
      extra: { typeinfo: { image: Object.fromEntries(images.map((f) => [f.filename, imageInfo])) } },
    },
    buildroots: [
      {
        id: 1,
        host: { os: 'linux', arch: input.arch },
        content_generator: { name: 'osbuild', version: input.serviceVersion },
        container: { type: 'none', arch: input.arch },
        tools: [{ name: 'osbuild', version: input.osbuildVersion }],
        components: (input.packages.build ?? []).map(component),
      },
    ],
    output: input.files.map((file) => ({
      buildroot_id: 1,
      filename: file.filename,
      filesize: file.size,
      arch: file.type === 'log' ? 'noarch' : input.arch,
      checksum_type: 'md5',
      checksum: file.md5,
      type: file.type,
      ...(file.type === 'image' ? { components: imagePackages.map(component), extra: { image: imageInfo } } : {}),
      ...(file.type === 'osbuild-manifest' ? { extra: { image: { arch: input.arch } } } : {}),
    })),
  };
}
