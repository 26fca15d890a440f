/** Pipelines after `os`: the raw disk, format conversions, archives and compression (osbuild/images pkg/manifest). */
import type { Pipeline } from '../manifest.ts';
import type { PartitionTable } from '../disk/partition-table.ts';
import { copyTreeToImageStage, grub2InstStageFor, imageFinishStages, imagePrepareStages } from '../disk/disk-stages.ts';
import { pipelineFileInput, pipelineTreeInput } from '../inputs.ts';
import { ociArchiveStage, ovfStage, qemuStage, tarStage, xzStage, zstdStage, copyTreeStage, type OciArchiveConfig, type TarOptions } from '../stages/index.ts';

const withBuild = (name: string, build: string): Pick<Pipeline, 'name' | 'build'> => ({ name, build: `name:${build}` });

/** A pipeline producing one file that later pipelines (or the export) consume. */
export interface FilePipeline {
  pipeline: Pipeline;
  filename: string;
}

export function rawImagePipeline(build: string, tree: string, pt: PartitionTable, filename: string, biosPlatform?: string): FilePipeline {
  const stages = [...imagePrepareStages(pt, filename), copyTreeToImageStage(pt, filename, tree), ...imageFinishStages(pt, filename)];
  if (biosPlatform) stages.push(grub2InstStageFor(pt, filename, biosPlatform));
  return { pipeline: { ...withBuild('image', build), stages }, filename };
}

export function qcow2Pipeline(build: string, input: FilePipeline, filename: string, compat?: string): FilePipeline {
  const format = compat ? { type: 'qcow2' as const, compat } : { type: 'qcow2' as const };
  return { pipeline: { ...withBuild('qcow2', build), stages: [qemuStage(filename, format, pipelineFileInput(input.pipeline.name, input.filename))] }, filename };
}

export function vpcPipeline(build: string, input: FilePipeline, filename: string, forceSize?: boolean): FilePipeline {
  const format = forceSize === undefined ? { type: 'vpc' as const } : { type: 'vpc' as const, force_size: forceSize };
  return { pipeline: { ...withBuild('vpc', build), stages: [qemuStage(filename, format, pipelineFileInput(input.pipeline.name, input.filename))] }, filename };
}

export function vmdkPipeline(build: string, input: FilePipeline, filename: string): FilePipeline {
  return {
    pipeline: {
      ...withBuild('vmdk', build),
      stages: [qemuStage(filename, { type: 'vmdk', subformat: 'streamOptimized' }, pipelineFileInput(input.pipeline.name, input.filename))],
    },
    filename,
  };
}

/** OVF descriptor + manifest next to the streamOptimized VMDK (a tree pipeline). */
export function ovfPipeline(build: string, vmdk: FilePipeline): Pipeline {
  return {
    ...withBuild('ovf', build),
    stages: [
      copyTreeStage({ 'vmdk-tree': pipelineTreeInput(vmdk.pipeline.name) }, [{ from: `input://vmdk-tree/${vmdk.filename}`, to: 'tree:///' }]),
      ovfStage(vmdk.filename),
    ],
  };
}

export function tarPipeline(build: string, name: string, tree: string, options: TarOptions): FilePipeline {
  return { pipeline: { ...withBuild(name, build), stages: [tarStage(pipelineTreeInput(tree), options)] }, filename: options.filename };
}

export function compressionPipeline(build: string, compression: string, input: FilePipeline, filename: string): FilePipeline {
  const file = pipelineFileInput(input.pipeline.name, input.filename);
  if (compression === 'xz') return { pipeline: { ...withBuild('xz', build), stages: [xzStage(filename, file)] }, filename };
  if (compression === 'zstd') return { pipeline: { ...withBuild('zstd', build), stages: [zstdStage(filename, file)] }, filename };
  throw new Error(`unsupported compression ${compression}`);
}

/** OCI architecture names (Go's GOARCH). */
export const GOARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', ppc64le: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function containerPipeline(build: string, tree: string, arch: string, filename: string, config?: OciArchiveConfig): FilePipeline {
  const goarch = GOARCH[arch] ?? arch;
  return {
    pipeline: { ...withBuild('container', build), stages: [ociArchiveStage(goarch, filename, pipelineTreeInput(tree), config ?? {})] },
    filename,
  };
}
