import { execa, parseCommandString } from 'execa';

/** The osbuild program and the arguments that come before ours (`sudo osbuild`, `python3 -m osbuild --libdir /src`). */
export interface OsbuildCommand {
  file: string;
  args: string[];
}

export function parseOsbuildCommand(command: string): OsbuildCommand {
  const [file, ...args] = parseCommandString(command.trim());
  if (!file) throw new Error('the osbuild command is empty');
  return { file, args };
}

export type OsbuildProbe = { ok: true; version: string } | { ok: false; reason: string };

/** Runs `<command> --version` once at start: a runner without a working osbuild says so instead of failing later. */
export async function probeOsbuild(command: OsbuildCommand, timeoutMs = 30_000): Promise<OsbuildProbe> {
  const shown = [command.file, ...command.args].join(' ');
  try {
    const result = await execa(command.file, [...command.args, '--version'], { reject: false, timeout: timeoutMs, stdin: 'ignore' });
    if (result.failed && 'code' in result && (result as { code?: string }).code === 'ENOENT') {
      return { ok: false, reason: `osbuild command "${shown}" not found` };
    }
    if (result.exitCode !== 0) {
      const why = (result.stderr || result.stdout || result.message || '').trim().split('\n').at(-1);
      return { ok: false, reason: `"${shown} --version" failed (exit ${result.exitCode ?? result.signal}): ${why}` };
    }
    return { ok: true, version: result.stdout.trim() || result.stderr.trim() };
  } catch (error) {
    return { ok: false, reason: `osbuild command "${shown}" cannot be executed: ${(error as Error).message}` };
  }
}

export interface OsbuildBuildArgs {
  exports: string[];
  outputDirectory: string;
  store: string;
  cacheMaxSize: string;
  checkpoints: string[];
}

/**
 * The one way this project runs a build: manifest on stdin, progress on fd 3, the result object on stdout.
 * (Monitor on stdout without --json would mix with osbuild's human summary.)
 */
export function osbuildBuildArgs(options: OsbuildBuildArgs): string[] {
  return [
    ...options.exports.flatMap((e) => ['--export', e]),
    '--output-directory',
    options.outputDirectory,
    '--store',
    options.store,
    '--cache-max-size',
    options.cacheMaxSize,
    ...options.checkpoints.flatMap((c) => ['--checkpoint', c]),
    '--json',
    '--monitor',
    'JSONSeqMonitor',
    '--monitor-fd',
    '3',
    '-',
  ];
}

/** Pipelines worth keeping in the store between builds: the build root and the OS tree (shared by image types). */
export function checkpointsOf(manifest: unknown): string[] {
  const pipelines = (manifest as { pipelines?: { name?: unknown }[] } | undefined)?.pipelines ?? [];
  const names = new Set(pipelines.map((p) => p.name).filter((n): n is string => typeof n === 'string'));
  // A --checkpoint that matches nothing makes osbuild exit 1, so only name pipelines that exist.
  return ['build', 'os'].filter((n) => names.has(n));
}
