import { execa } from 'execa';
import type { Readable } from 'node:stream';
import { OsbuildMonitorParser, type MonitorEvent, type MonitorState } from './osbuild-monitor.ts';
import type { OsbuildCommand } from './osbuild-command.ts';

export interface OsbuildRunOptions {
  command: OsbuildCommand;
  args: string[];
  /** Manifest text, written to osbuild's stdin. */
  manifest: string;
  cwd?: string;
  onEvent: (event: MonitorEvent) => void;
  /** osbuild's stderr as it arrives (tracebacks, host warnings). */
  onStderr: (text: string) => void;
  /** Seconds between SIGTERM and SIGKILL in stop(). */
  killGraceSeconds: number;
}

export interface OsbuildExit {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  /** The last 64 KiB of stderr. */
  stderr: string;
  monitor: MonitorState;
  /** Set when osbuild could not be started at all (e.g. ENOENT). */
  spawnError?: string;
}

export interface OsbuildProcess {
  pid: number | undefined;
  /** Resolves when osbuild has exited and its streams are drained; never rejects. */
  exited: Promise<OsbuildExit>;
  /** SIGTERM to osbuild's process group, SIGKILL after the grace period; resolves once it is gone. */
  stop(): Promise<OsbuildExit>;
}

const STDERR_TAIL_BYTES = 64 * 1024;

/**
 * Starts one osbuild run: manifest on stdin, JSONSeqMonitor on fd 3 (parsed as it streams), `--json` result on stdout.
 * osbuild runs in its own process group so a terminal's Ctrl-C does not reach it (the agent decides: hand back or
 * stop) and so stop() reaches everything it started (bwrap, stages, sudo's child).
 */
export function startOsbuild(options: OsbuildRunOptions): OsbuildProcess {
  const parser = new OsbuildMonitorParser({ maxLogLines: 200 });
  let stderrTail = '';
  const subprocess = execa(options.command.file, [...options.command.args, ...options.args], {
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    buffer: { stdout: true, stderr: false, fd3: false },
    maxBuffer: { stdout: 512 * 1024 * 1024 },
    detached: true,
    reject: false,
    forceKillAfterDelay: false,
    stripFinalNewline: false,
    encoding: 'utf8',
  });

  const emit = (events: MonitorEvent[]): void => {
    for (const event of events) {
      try {
        options.onEvent(event);
      } catch {
        // a consumer's bug must not break the stream
      }
    }
  };
  const monitor = subprocess.stdio[3] as Readable | undefined;
  const monitorDone = new Promise<void>((resolve) => {
    if (!monitor) return resolve();
    monitor.on('data', (chunk: Buffer | string) => emit(parser.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));
    monitor.on('end', resolve);
    monitor.on('close', resolve);
    monitor.on('error', () => resolve());
  });
  subprocess.stderr?.on('data', (chunk: Buffer | string) => {
    const text = chunk.toString();
    stderrTail = (stderrTail + text).slice(-STDERR_TAIL_BYTES);
    options.onStderr(text);
  });
  // osbuild may exit before reading all of stdin (usage error, missing program): that is its answer, not ours.
  subprocess.stdin?.on('error', () => {});
  subprocess.stdin?.end(options.manifest);

  const exited: Promise<OsbuildExit> = (async () => {
    const result = await subprocess;
    await monitorDone;
    emit(parser.end());
    const failed = result as { code?: string; failed?: boolean; exitCode?: number; signal?: string; message?: string };
    const spawnError =
      failed.failed && failed.exitCode === undefined && failed.signal === undefined ? (failed.code ?? failed.message) : undefined;
    return {
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      stdout: typeof result.stdout === 'string' ? result.stdout : '',
      stderr: stderrTail,
      monitor: parser.state,
      ...(spawnError ? { spawnError: `${spawnError}: ${failed.message ?? ''}`.trim() } : {}),
    };
  })();

  let stopping: Promise<OsbuildExit> | undefined;
  const signalGroup = (signal: NodeJS.Signals): void => {
    const pid = subprocess.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  };
  const stop = (): Promise<OsbuildExit> => {
    stopping ??= (async () => {
      signalGroup('SIGTERM');
      const killer = setTimeout(() => signalGroup('SIGKILL'), options.killGraceSeconds * 1000);
      try {
        return await exited;
      } finally {
        clearTimeout(killer);
        // Whatever osbuild left behind in its group (a stage that ignored SIGTERM) goes too.
        signalGroup('SIGKILL');
      }
    })();
    return stopping;
  };

  return { pid: subprocess.pid, exited, stop };
}
