/** `ibs compose wait` and the waiting `compose start --wait` shares: poll the status, draw progress, map the exit code. */
import { setTimeout as sleep } from 'node:timers/promises';
import { FINAL_STATES, stateOf, type ComposeStatus } from '../api-types.ts';
import type { ApiClient } from '../client.ts';
import type { CommandContext, CommandSpec } from '../command.ts';
import { CliError, EXIT, UnreachableError } from '../errors.ts';
import { formatBytes, formatJson, type Io } from '../output.ts';
import { integerOption } from '../parse.ts';
import { StatusLine, composeProgressText, describeStep } from '../progress.ts';
import { composeId, composePath, ID_ARG, WAIT_OPTIONS } from './compose-shared.ts';

interface WaitOptions {
  timeoutMs?: number;
  intervalMs: number;
}

function waitOptions(spec: CommandSpec, ctx: CommandContext): WaitOptions {
  const timeout = integerOption(spec, ctx.options, 'timeout');
  const interval = integerOption(spec, ctx.options, 'interval') ?? 1;
  return { timeoutMs: timeout === undefined ? undefined : timeout * 1000, intervalMs: Math.max(50, interval * 1000) };
}

/** Polls the status until the compose finishes; a bar on a TTY, one line per change otherwise (stderr). */
export async function waitForCompose(api: ApiClient, io: Io, id: string, opts: WaitOptions & { quiet?: boolean }): Promise<ComposeStatus> {
  const started = Date.now();
  const line = new StatusLine(io.stderr);
  let last = '';
  let failures = 0;
  try {
    for (;;) {
      let status: ComposeStatus;
      try {
        status = await api.get<ComposeStatus>(composePath(id));
        failures = 0;
      } catch (error) {
        // A service restart is not the compose's failure: retry a few times before giving up.
        if (!(error instanceof UnreachableError) || ++failures > 5) throw error;
        await sleep(opts.intervalMs);
        continue;
      }
      const state = stateOf(status);
      const progress = status.image_status.progress;
      const elapsed = Date.now() - started;
      if (!opts.quiet) {
        if (line.interactive) line.draw(composeProgressText(state, progress, elapsed));
        else {
          const text = `${state}${describeStep(progress) ? ` ${describeStep(progress)}` : ''}`;
          if (text !== last) io.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);
          last = text;
        }
      }
      if (FINAL_STATES.has(state)) return status;
      if (opts.timeoutMs !== undefined && elapsed >= opts.timeoutMs) {
        throw new CliError(`compose ${id} did not finish within ${Math.round(opts.timeoutMs / 1000)}s (still ${state})`);
      }
      await sleep(opts.intervalMs);
    }
  } finally {
    line.clear();
  }
}

export async function waitAndReport(ctx: CommandContext, spec: CommandSpec, id: string): Promise<number> {
  const status = await waitForCompose(ctx.client(), ctx.io, id, { ...waitOptions(spec, ctx), quiet: ctx.json });
  const state = stateOf(status);
  if (ctx.json) ctx.io.stdout.write(formatJson({ id, ...status }));
  if (state === 'success') {
    if (!ctx.json) {
      const files = (status.artifacts ?? []).map((a) => `${a.name} (${formatBytes(a.size)})`).join(', ');
      ctx.io.stdout.write(`compose ${id} finished: success${files ? `: ${files}` : ''}\n`);
    }
    return EXIT.ok;
  }
  const reason = status.image_status.error?.reason;
  const message = `compose ${id} finished: ${state}${reason ? `: ${reason}` : ''}`;
  ctx.io.stderr.write(ctx.json ? `${JSON.stringify({ error: { message, exit_code: EXIT.failed, compose_error: status.image_status.error } })}\n` : `ibs: ${message}\n`);
  return EXIT.failed;
}

export const composeWait: CommandSpec = {
  path: ['compose', 'wait'],
  summary: 'Wait for a compose to finish, showing the current pipeline and stage',
  description: 'Exits 0 when the compose succeeded, 1 when it failed, was cancelled or the --timeout passed.',
  args: [ID_ARG],
  options: WAIT_OPTIONS,
  examples: ['ibs compose wait 0b5e0f53-64b2-4c53-8e0f-6b4b25d3b2a1 --timeout 3600 && echo built'],
  run: (ctx) => waitAndReport(ctx, composeWait, composeId(composeWait, ctx.args)),
};
