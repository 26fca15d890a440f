/**
 * Queue message bodies. Kept small: the compose record is the source of truth. Every body carries the schema version
 * it was written in, so a consumer from an older deployment recognises a message it does not understand and lets it
 * take the dead-letter path (where the compose fails with that reason) instead of misreading it.
 */
export const JOB_SCHEMA_VERSION = 1;
export const SUPPORTED_JOB_SCHEMAS: readonly number[] = [1];

interface ComposeJobBase {
  /** Schema version of this body; absent in messages written before versioning (their shape is version 1). */
  schema?: number;
  orgId: string;
  composeId: string;
}

export interface ManifestJob extends ComposeJobBase {
  kind: 'manifest';
}

export interface BuildJob extends ComposeJobBase {
  kind: 'build';
}

export type ComposeJob = ManifestJob | BuildJob;

export const manifestJobFor = (orgId: string, composeId: string): ManifestJob => ({ schema: JOB_SCHEMA_VERSION, kind: 'manifest', orgId, composeId });
export const buildJobFor = (orgId: string, composeId: string): BuildJob => ({ schema: JOB_SCHEMA_VERSION, kind: 'build', orgId, composeId });

/** The compose a body names, whatever its version (for logs and for failing it on the dead-letter path). */
export const isComposeJob = (body: unknown): body is ComposeJob =>
  typeof body === 'object' &&
  body !== null &&
  typeof (body as ComposeJob).orgId === 'string' &&
  typeof (body as ComposeJob).composeId === 'string';

export type JobReading<J extends ComposeJob> =
  | { ok: true; job: J }
  /** `unsupported`: a compose job of a schema this deployment does not know; `malformed`: not a compose job at all. */
  | { ok: false; problem: 'unsupported' | 'malformed'; reason: string };

/** Reads a queue body as a job of `kind`, checking its schema version. */
export function readComposeJob<K extends ComposeJob['kind']>(body: unknown, kind: K): JobReading<Extract<ComposeJob, { kind: K }>> {
  if (!isComposeJob(body)) return { ok: false, problem: 'malformed', reason: 'the message is not a compose job (no orgId/composeId)' };
  const schema = body.schema ?? 1;
  if (!SUPPORTED_JOB_SCHEMAS.includes(schema)) {
    return {
      ok: false,
      problem: 'unsupported',
      reason: `job message schema version ${JSON.stringify(body.schema)} is not supported by this deployment (supported: ${SUPPORTED_JOB_SCHEMAS.join(', ')})`,
    };
  }
  if (body.kind !== kind) return { ok: false, problem: 'malformed', reason: `expected a ${kind} job, got kind ${JSON.stringify(body.kind)}` };
  return { ok: true, job: { schema, kind, orgId: body.orgId, composeId: body.composeId } as Extract<ComposeJob, { kind: K }> };
}
