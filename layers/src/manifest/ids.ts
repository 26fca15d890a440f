// osbuild pipeline/stage ids, byte-compatible with `osbuild --inspect` (osbuild 191).
// The implementation lives in ids-core.mjs so the plain-JS osbuild test double shares it (no second copy).
import {
  computeManifestIds as computeIdsImpl,
  computeSourceId,
  parsePythonJson,
  pythonFloatRepr,
  pythonJsonDumps,
  pythonJsonString,
  PyFloat,
  sha256Hex,
  type ManifestIds,
  type PipelineIds,
  type StageIds,
} from './ids-core.mjs';

export type { ManifestIds, PipelineIds, StageIds };
export { computeSourceId, parsePythonJson, pythonFloatRepr, pythonJsonDumps, pythonJsonString, PyFloat, sha256Hex };

/** Compute ids for a manifest object (or its JSON text, parsed so that floats/big ints hash like Python). */
export function computeManifestIds(manifest: unknown): ManifestIds {
  const value = typeof manifest === 'string' ? parsePythonJson(manifest) : manifest;
  return computeIdsImpl(value);
}

/** Map pipeline name → id, convenient for `--export` and checkpoint bookkeeping. */
export function pipelineIdsByName(manifest: unknown): Map<string, string | null> {
  return new Map(computeManifestIds(manifest).pipelines.map((p) => [p.name, p.id]));
}
