/** osbuild manifest format version 2 (schemas/osbuild2.json). */
export interface Manifest {
  version: '2';
  pipelines: Pipeline[];
  sources?: Record<string, { items: Record<string, unknown>; options?: Record<string, unknown> }>;
  metadata?: Record<string, unknown>;
}

export interface Pipeline {
  name: string;
  build?: string;
  runner?: string;
  'source-epoch'?: number;
  stages: Stage[];
}

export interface Input {
  type: string;
  origin: 'org.osbuild.source' | 'org.osbuild.pipeline';
  references: string[] | Record<string, unknown> | { id: string; options?: unknown }[];
  options?: Record<string, unknown>;
}

export interface Device {
  type: string;
  parent?: string;
  options?: Record<string, unknown>;
}

export interface Mount {
  name: string;
  type: string;
  source?: string;
  target?: string;
  partition?: number;
  options?: Record<string, unknown>;
}

export interface Stage {
  type: string;
  options?: Record<string, unknown>;
  inputs?: Record<string, Input>;
  devices?: Record<string, Device>;
  mounts?: Mount[];
}

/** Serialize deterministically: key order as constructed, two-space indent, trailing newline. */
export const serializeManifest = (manifest: Manifest): string => `${JSON.stringify(manifest, null, 2)}\n`;
