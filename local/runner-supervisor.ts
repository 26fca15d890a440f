/**
 * Local mode's runners: child processes with names unique to this start, restarted when one dies (its successor's
 * start-up sweep clears the dead attempt's build directory and takes the build over once its heartbeat is stale).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ARCHITECTURES } from '../layers/src/distro/generic/distributions.ts';
import type { Logger } from '../layers/src/log/logger.ts';

const RUNNER_CHILD = fileURLToPath(new URL('./runner-child.ts', import.meta.url));

export interface RunnerSupervisor {
  /** The runner processes alive now (a restarted runner replaces its slot). */
  readonly runners: readonly ChildProcess[];
  /** Runner ids started so far, in order (restarts included). */
  readonly started: readonly string[];
  /** SIGTERM lets each runner hand its build back; SIGKILL after the grace period. */
  stop(graceMs?: number): Promise<void>;
}

export interface SuperviseOptions {
  count: number;
  /** Runner id prefix; ids are `<prefix>-<start>-<slot>[.<restart>]`. */
  prefix: string;
  /** Environment added to this process's for every runner. */
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** First restart delay; doubles per quick failure up to 30 s. */
  restartDelayMs?: number;
}

export function superviseRunners(options: SuperviseOptions): RunnerSupervisor {
  const start = randomBytes(3).toString('hex');
  const runners: ChildProcess[] = [];
  const started: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;

  const launch = (slot: number, generation: number): void => {
    const id = `${options.prefix}-${start}-${slot + 1}${generation > 0 ? `.${generation}` : ''}`;
    started.push(id);
    const startedAt = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER_CHILD], {
      env: { ...process.env, IBS_RUNNER_ID: id, IBS_ARCHITECTURES: process.env.IBS_ARCHITECTURES ?? ARCHITECTURES.join(','), ...options.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    runners[slot] = child;
    child.on('exit', (code, signal) => {
      if (stopping) return;
      // A runner that lived a minute restarts at once; one that keeps dying backs off.
      const quick = Date.now() - startedAt < 60_000;
      const delay = quick ? Math.min(30_000, (options.restartDelayMs ?? 1000) * 2 ** Math.min(generation, 5)) : 0;
      options.log.error('runner exited; restarting it', { runner: id, code, signal, restartInMs: delay });
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopping) launch(slot, generation + 1);
      }, delay);
      timers.add(timer);
    });
  };
  for (let slot = 0; slot < options.count; slot++) launch(slot, 0);

  return {
    runners,
    started,
    stop: async (graceMs = 15_000) => {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(runners.map((child) => stopRunner(child, graceMs)));
    },
  };
}

async function stopRunner(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
