/**
 * The content-generator metadata of a Koji import (metadata_version 0), as osbuild-composer's koji target writes it:
 * the build (NVR, task, times, `extra.typeinfo.image` per image file), one buildroot per image with its build
 * pipeline's RPMs, and every image's outputs (image, osbuild manifest, log) with sizes, MD5 checksums, types and arch.
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

/** One image's build: its arch and type, depsolved package sets and uploaded files (image, manifest, log). */
export interface KojiImageBuild {
  arch: string;
  bootMode?: string;
  imageType: string;
  /** The depsolved package sets: `build` is the buildroot's, the rest the image's. */
  packages: Record<string, ResolvedPackage[]>;
  files: KojiUploadedFile[];
}

export interface KojiImportInput {
  koji: KojiBuildTarget;
  buildId: number;
  /** Epoch seconds. */
  startTime: number;
  endTime: number;
  osbuildVersion: string;
  serviceVersion: string;
  /** Every image of the compose in request order: each gets its own buildroot, as composer's koji-finalize makes them. */
  images: KojiImageBuild[];
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
  const imageInfoOf = (image: KojiImageBuild) => ({ arch: image.arch, ...(image.bootMode ? { boot_mode: image.bootMode } : {}), osbuild_version: input.osbuildVersion });
  const typeinfo = input.images.flatMap((image) => image.files.filter((f) => f.type === 'image').map((f) => [f.filename, imageInfoOf(image)] as const));
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
      extra: { typeinfo: { image: Object.fromEntries(typeinfo) } },
    },
    buildroots: input.images.map((image, index) => ({
      id: index + 1,
      host: { os: 'linux', arch: image.arch },
      content_generator: { name: 'osbuild', version: input.serviceVersion },
      container: { type: 'none', arch: image.arch },
      tools: [{ name: 'osbuild', version: input.osbuildVersion }],
      components: (image.packages.build ?? []).map(component),
    })),
    output: input.images.flatMap((image, index) => {
      const imagePackages = Object.entries(image.packages).filter(([set]) => set !== 'build').flatMap(([, list]) => list);
      return image.files.map((file) => ({
        buildroot_id: index + 1,
        filename: file.filename,
        filesize: file.size,
        arch: file.type === 'log' ? 'noarch' : image.arch,
        checksum_type: 'md5',
        checksum: file.md5,
        type: file.type,
        ...(file.type === 'image' ? { components: imagePackages.map(component), extra: { image: imageInfoOf(image) } } : {}),
        ...(file.type === 'osbuild-manifest' ? { extra: { image: { arch: image.arch } } } : {}),
      }));
    }),
  };
}
