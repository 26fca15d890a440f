/** Runs the real `ibs` binary and the local stack as child processes, as a user would. */
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mintLocalToken } from '../../local/auth-keys.ts';

export const REPO = resolve(import.meta.dirname, '../..');
export const IBS_BIN = join(REPO, 'cli/bin/ibs.js');
const TSX_CLI = join(REPO, 'node_modules/tsx/dist/cli.mjs');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Run through `npx ibs` (the installed bin, as users run it) instead of `node cli/bin/ibs.js`. */
  npx?: boolean;
  cwd?: string;
  timeoutMs?: number;
}

/** A HOME without config files, so a developer's ~/.config/ibs never leaks into a test. */
export const cleanHome = mkdtempSync(join(tmpdir(), 'ibs-cli-home-'));

/** The environment without IBS_* settings of the machine running the tests. */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('IBS_') && k !== 'XDG_CONFIG_HOME' && k !== 'XDG_CACHE_HOME') env[k] = v;
  env.HOME = cleanHome;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Output and exit code of a child process, killed after the timeout. */
function collect(child: ChildProcessByStdio<null, Readable, Readable>, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export function runIbs(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const [command, argv] = options.npx ? ['npx', ['--no-install', 'ibs', ...args]] : [process.execPath, [IBS_BIN, ...args]];
  return collect(spawn(command, argv, { cwd: options.cwd ?? REPO, env: baseEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] }), options.timeoutMs);
}

export interface StackProcess {
  url: string;
  dataDir: string;
  /** A bearer token for the organization `local`, as `ibs token --org local` mints it (pass as IBS_TOKEN). */
  token: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `tsx local/start.ts` with the osbuild test double, on a free port, in a fresh data directory. */
export async function startStack(env: Record<string, string> = {}): Promise<StackProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ibs-cli-stack-'));
  const child = spawn(process.execPath, [TSX_CLI, 'local/start.ts'], {
    cwd: REPO,
    env: { ...baseEnv(), IBS_OSBUILD: join(REPO, 'test/osbuild-double/osbuild'), IBS_PORT: '0', IBS_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`local stack did not start within 60s:\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /^ready: (\S+)$/m.exec(output);
      if (m) {
        clearTimeout(timer);
        resolvePromise(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => reject(new Error(`local stack exited with ${code}:\n${output}`)));
  });
  return {
    url,
    dataDir,
    token: await mintLocalToken({ dataDir, org: 'local', user: 'cli-test' }),
    child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `ibs` on a pseudo-terminal (util-linux `script`, in Debian's essential bsdutils), for TTY-only output. */
export function runIbsTty(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const line = [process.execPath, IBS_BIN, ...args].map(shellQuote).join(' ');
  return collect(spawn('script', ['-qec', `stty cols 120; ${line}`, '/dev/null'], { cwd: REPO, env: baseEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] }), options.timeoutMs);
}
