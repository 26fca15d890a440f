/** What a failed osbuild run means for the compose: its error, and whether another attempt could succeed. */
import type { BuildResult, ComposeError } from '../../layers/src/compose/compose.ts';
import { ComposeErrorId, composeError } from '../../layers/src/compose/compose-errors.ts';
import type { OsbuildOutcome } from './osbuild-result.ts';

const SUMMARY_TAIL_LINES = 20;

export interface BuildFailure {
  error: ComposeError;
  /** A transient cause (network, a killed osbuild): worth another delivery. */
  retryable: boolean;
  extra?: Partial<BuildResult>;
}

export function buildFailureOf(outcome: Exclude<OsbuildOutcome, { kind: 'success' }>): BuildFailure {
  switch (outcome.kind) {
    case 'stage-failure':
      // A failing stage fails again on the same manifest: no retry.
      return {
        error: composeError(ComposeErrorId.BuildFailed, outcome.message, {
          stage: outcome.stage.type,
          stageId: outcome.stage.id,
          pipeline: outcome.pipeline,
          outputTail: outcome.outputTail.slice(-SUMMARY_TAIL_LINES),
        }),
        retryable: false,
        extra: { failedStage: outcome.stage.type, failedPipeline: outcome.pipeline ?? undefined },
      };
    case 'source-failure': {
      const where = outcome.url ?? outcome.checksum ?? outcome.sourceType;
      const error = composeError(ComposeErrorId.SourceDownload, `could not download ${where}: ${outcome.error}`, {
        sourceType: outcome.sourceType,
        url: outcome.url,
        checksum: outcome.checksum,
      });
      return { error, retryable: !outcome.permanent };
    }
    case 'manifest-invalid':
      // osbuild exit 2: the manifest will never build; retrying cannot help.
      return { error: composeError(ComposeErrorId.ManifestInvalid, outcome.message, { errors: outcome.errors.slice(0, 20) }), retryable: false };
    case 'cancelled':
      // Nobody here asked osbuild to stop (OOM killer, operator): the machine, not the manifest, is suspect.
      return { error: composeError(ComposeErrorId.BuildFailed, outcome.message), retryable: true };
    case 'other': {
      const error = composeError(ComposeErrorId.BuildFailed, outcome.message, {
        reason: outcome.reason,
        exitCode: outcome.exitCode,
        stderrTail: outcome.stderrTail.slice(-SUMMARY_TAIL_LINES),
      });
      return { error, retryable: !outcome.permanent };
    }
  }
}
