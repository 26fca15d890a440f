// Types for ids-core.mjs (plain JS so the osbuild test double can run it without a build step).
export declare class PyFloat {
  value: number;
  constructor(value: number);
  toJSON(): number;
}
export interface StageIds {
  type: string;
  id: string;
  /** Input name → resolved references (pipeline references as ids), as osbuild hashes them. */
  inputs: Record<string, Record<string, unknown>>;
}
export interface PipelineIds {
  name: string;
  /** Id of the last stage; null for a pipeline without stages. */
  id: string | null;
  /** Resolved build pipeline id (or the raw `build` value), null when the host is the build root. */
  build: string | null;
  stages: StageIds[];
}
export interface ManifestIds {
  pipelines: PipelineIds[];
  sources: { type: string; id: string }[];
}
export declare function pythonJsonString(s: string): string;
export declare function pythonFloatRepr(x: number): string;
export declare function pythonJsonDumps(value: unknown, opts?: { sortKeys?: boolean }): string;
export declare function parsePythonJson(text: string): unknown;
export declare function sha256Hex(...chunks: string[]): string;
export declare function normalizeReferences(refs: unknown): Record<string, unknown>;
export declare function computeSourceId(type: string, items: unknown): string;
export declare function computeManifestIds(manifest: unknown): ManifestIds;
