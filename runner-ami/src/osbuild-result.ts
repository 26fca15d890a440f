// Classifies how an osbuild run ended, from its exit code and its `--json` stdout (osbuild 191,
// formats/v2.output() and main_cli.py). The runner uses the classification to decide what to report on the
// Compose (which stage, which source URL, which manifest path) and whether a retry can help.
import { computeManifestIds } from '../../layers/src/manifest/ids.ts';

export interface OsbuildRunOutput {
  /** null when osbuild was killed by a signal. */
  exitCode: number | null;
  signal?: string | null;
  stdout: string;
  stderr?: string;
  /** The manifest that was built; lets us name the failing stage's pipeline and a curl source's URL. */
  manifest?: unknown;
}

export interface OsbuildLogEntry {
  id: string;
  type: string;
  output: string;
  success?: boolean;
  error?: unknown;
}

export interface OsbuildSourceItem {
  cached?: boolean;
  checksum?: string;
  error?: string;
}

/** The `--json` object osbuild prints on stdout for a build (success or build error). */
export interface OsbuildJsonResult {
  type: 'result' | 'error';
  success: boolean;
  metadata?: Record<string, Record<string, unknown>>;
  error?: {
    type: string;
    details?: {
      stage?: { id: string; type: string; output: string; error: unknown };
      source?: { type: string; output: string };
    };
  };
  sources?: { success: boolean } & Record<string, OsbuildSourceItem[] | boolean>;
  log?: Record<string, OsbuildLogEntry[]>;
}

export interface ManifestValidationError {
  message: string;
  path: (string | number)[];
  /** osbuild's rendering of the path, e.g. `.pipelines[0].stages[0].options`. */
  location: string;
}

export type OtherReason =
  | 'unknown-export'
  | 'missing-output-directory'
  | 'no-checkpoint-match'
  | 'usage'
  | 'exception'
  | 'unknown';

export type OsbuildOutcome =
  | { kind: 'success'; result: OsbuildJsonResult | null }
  | {
      kind: 'stage-failure';
      permanent: false;
      message: string;
      pipeline: string | null;
      stage: { type: string; id: string };
      outputTail: string[];
      error: unknown;
      result: OsbuildJsonResult;
    }
  | {
      kind: 'source-failure';
      permanent: boolean;
      message: string;
      sourceType: string;
      error: string;
      checksum: string | null;
      url: string | null;
      result: OsbuildJsonResult;
    }
  | { kind: 'manifest-invalid'; permanent: true; message: string; errors: ManifestValidationError[] }
  | { kind: 'cancelled'; permanent: false; message: string }
  | {
      kind: 'other';
      permanent: boolean;
      reason: OtherReason;
      message: string;
      exitCode: number | null;
      stdoutTail: string[];
      stderrTail: string[];
    };

const VALIDATION_TYPE = 'https://osbuild.org/validation-error';
const TAIL_LINES = 20;

/** Last `n` non-empty lines of a text. */
export function tailLines(text: string | undefined, n = TAIL_LINES): string[] {
  if (!text) return [];
  const lines = text.split('\n');
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  return lines.slice(-n);
}

/** osbuild's ValidationError.id: `.a.b[0]`, names with spaces quoted. */
export function formatValidationPath(path: (string | number)[]): string {
  if (!path.length) return '.';
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p.includes(' ') ? `'${p}'` : p}`)).join('');
}

/** The last stdout line that is a JSON object (osbuild prints exactly one with --json). */
export function findJsonObject(stdout: string): Record<string, unknown> | null {
  const lines = stdout.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i].trim();
    if (!l.startsWith('{')) continue;
    try {
      const v = JSON.parse(l);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not the result line
    }
  }
  return null;
}

// URL and checksum from curl source errors:
//   "curl: error downloading <url>: exit code <n>"
//   "failed to move to target directory: checksum mismatch: <checksum> <url>"
function parseSourceError(error: string): { url: string | null; checksum: string | null } {
  const dl = /curl: error downloading (\S+): exit code \d+/.exec(error);
  if (dl) return { url: dl[1], checksum: null };
  const mm = /checksum mismatch: ((?:md5|sha1|sha256|sha384|sha512):[0-9a-f]+) (\S+)/i.exec(error);
  if (mm) return { url: mm[2], checksum: mm[1] };
  const ck = /((?:md5|sha1|sha256|sha384|sha512):[0-9a-f]{32,128})/.exec(error);
  return { url: null, checksum: ck ? ck[1] : null };
}

function urlFromManifest(manifest: unknown, sourceType: string, checksum: string | null): string | null {
  if (!checksum || !manifest || typeof manifest !== 'object') return null;
  const items = (manifest as { sources?: Record<string, { items?: Record<string, unknown> }> }).sources?.[sourceType]
    ?.items;
  const item = items?.[checksum];
  if (typeof item === 'string') return item;
  if (item && typeof item === 'object' && typeof (item as { url?: unknown }).url === 'string') {
    return (item as { url: string }).url;
  }
  return null;
}

function pipelineOfStage(result: OsbuildJsonResult, stageId: string, manifest: unknown): string | null {
  for (const [name, entries] of Object.entries(result.log ?? {})) {
    if (entries.some((e) => e.id === stageId)) return name;
  }
  if (manifest) {
    try {
      const ids = computeManifestIds(manifest);
      const pl = ids.pipelines.find((p) => p.stages.some((s) => s.id === stageId));
      if (pl) return pl.name;
    } catch {
      // a manifest we cannot hash gives no pipeline name; the stage id still identifies the failure
    }
  }
  return null;
}

/** Classify an osbuild run from its exit code, stdout (`--json`) and stderr. */
export function classifyOsbuildResult(run: OsbuildRunOutput): OsbuildOutcome {
  const { exitCode } = run;
  const json = findJsonObject(run.stdout);
  const stdoutTail = tailLines(run.stdout);
  const stderrTail = tailLines(run.stderr);

  if (json && json.type === VALIDATION_TYPE) {
    const errors = (Array.isArray(json.errors) ? json.errors : []).map((e: { message?: string; path?: unknown[] }) => {
      const path = (Array.isArray(e.path) ? e.path : []) as (string | number)[];
      return { message: String(e.message ?? ''), path, location: formatValidationPath(path) };
    });
    const first = errors[0];
    return {
      kind: 'manifest-invalid',
      permanent: true,
      message: first
        ? `manifest invalid: ${first.location}: ${first.message}${errors.length > 1 ? ` (+${errors.length - 1} more)` : ''}`
        : 'manifest invalid',
      errors,
    };
  }

  if (json && (json.type === 'result' || json.type === 'error') && typeof json.success === 'boolean') {
    const result = json as unknown as OsbuildJsonResult;
    if (result.success && exitCode === 0) return { kind: 'success', result };
    const details = result.error?.details;
    if (result.error?.type === 'org.osbuild.error.stage' && details?.stage) {
      const st = details.stage;
      const pipeline = pipelineOfStage(result, st.id, run.manifest);
      const outputTail = tailLines(st.output);
      const last = outputTail[outputTail.length - 1];
      return {
        kind: 'stage-failure',
        permanent: false,
        message: `stage ${st.type} failed${pipeline ? ` in pipeline ${pipeline}` : ''}${last ? `: ${last}` : ''}`,
        pipeline,
        stage: { type: st.type, id: st.id },
        outputTail,
        error: st.error ?? null,
        result,
      };
    }
    if (result.error?.type === 'org.osbuild.error.source' && details?.source) {
      const src = details.source;
      const parsed = parseSourceError(src.output);
      let checksum = parsed.checksum;
      if (!checksum) {
        const items = result.sources?.[src.type];
        const failed = Array.isArray(items) ? items.find((i) => i.error && i.checksum) : undefined;
        checksum = failed?.checksum ?? null;
      }
      const url = parsed.url ?? urlFromManifest(run.manifest, src.type, checksum);
      // A checksum mismatch will not go away by retrying; a failed download might.
      const permanent = /checksum mismatch/i.test(src.output);
      return {
        kind: 'source-failure',
        permanent,
        message: `source ${src.type} failed: ${src.output}`,
        sourceType: src.type,
        error: src.output,
        checksum,
        url,
        result,
      };
    }
  }

  if (exitCode === 0) return { kind: 'success', result: null };

  if (exitCode === 130 || (exitCode === null && run.signal)) {
    return { kind: 'cancelled', permanent: false, message: run.signal ? `osbuild killed by ${run.signal}` : 'osbuild aborted' };
  }

  const out = run.stdout;
  const err = run.stderr ?? '';
  let reason: OtherReason = 'unknown';
  let message = stderrTail.at(-1) ?? stdoutTail.at(-1) ?? `osbuild exited with code ${exitCode}`;
  let permanent = false;
  const exportMissing = /^Export (.+) not found in (\[.*\])$/m.exec(out);
  if (exitCode === 2 && /^Unsupported manifest format$/m.test(out)) {
    return {
      kind: 'manifest-invalid',
      permanent: true,
      message: 'manifest invalid: Unsupported manifest format',
      errors: [{ message: 'Unsupported manifest format', path: [], location: '.' }],
    };
  } else if (exportMissing) {
    reason = 'unknown-export';
    message = `export ${exportMissing[1]} not found in ${exportMissing[2]}`;
    permanent = true;
  } else if (/^Need --output-directory for --export$/m.test(out)) {
    reason = 'missing-output-directory';
    message = 'Need --output-directory for --export';
    permanent = true;
  } else if (/^No checkpoints matched provided patterns!$/m.test(out)) {
    reason = 'no-checkpoint-match';
    message = 'No checkpoints matched provided patterns!';
    permanent = true;
  } else if (exitCode === 2 && /^usage: osbuild/m.test(err)) {
    reason = 'usage';
    message = stderrTail.at(-1) ?? 'osbuild usage error';
    permanent = true;
  } else if (/^Traceback \(most recent call last\):/m.test(err) || /^Traceback \(most recent call last\):/m.test(out)) {
    reason = 'exception';
    const tb = /^Traceback/m.test(err) ? stderrTail : stdoutTail;
    message = tb.at(-1) ?? message;
  }
  return { kind: 'other', permanent, reason, message, exitCode, stdoutTail, stderrTail };
}
