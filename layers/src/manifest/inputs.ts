import type { Input } from './manifest.ts';

/** A tree input from another pipeline (`name:<pipeline>`). */
export const pipelineTreeInput = (pipeline: string): Input => ({
  type: 'org.osbuild.tree',
  origin: 'org.osbuild.pipeline',
  references: [`name:${pipeline}`],
});

/** One file produced by another pipeline. */
export const pipelineFileInput = (pipeline: string, file: string): Input => ({
  type: 'org.osbuild.files',
  origin: 'org.osbuild.pipeline',
  references: { [`name:${pipeline}`]: { file } },
});

export interface SourceFileRef {
  checksum: string;
  /** Adds `rpm.check_gpg` metadata so the rpm stage verifies the signature. */
  checkGpg?: boolean;
}

/** Files fetched by a source (curl/inline), in the array form osbuild/images writes. */
export const sourceFilesInput = (refs: readonly SourceFileRef[]): Input => ({
  type: 'org.osbuild.files',
  origin: 'org.osbuild.source',
  references: refs.map((r) =>
    r.checkGpg ? { id: r.checksum, options: { metadata: { 'rpm.check_gpg': true } } } : { id: r.checksum },
  ),
});
