// Running the osbuild test double as the runner does, and reading what it wrote, for the tests that compare it with
// real osbuild 191 runs (../../../shared/reference/osbuild-runs).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const DOUBLE = path.resolve(import.meta.dirname, 'osbuild');
const shared = path.resolve(import.meta.dirname, '../../../shared/reference');
export const runs = path.join(shared, 'osbuild-runs');
export const refManifests = path.join(shared, 'reference-manifests');
export const read = (f: string) => readFileSync(path.join(runs, f), 'utf8');
export const rcOf = (f: string) => Number(/rc=(\d+)/.exec(read(f))![1]);

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  monitor: Buffer;
}

export function runDouble(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; stdin?: string; onMonitor?: (chunk: Buffer, kill: () => void) => void } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOUBLE, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const errs: Buffer[] = [];
    const mon: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => errs.push(c));
    const fd3 = child.stdio[3] as NodeJS.ReadableStream;
    fd3.on('data', (c: Buffer) => {
      mon.push(c);
      opts.onMonitor?.(c, () => child.kill('SIGTERM'));
    });
    child.on('error', reject);
    // The double may exit before reading stdin or fd 3 (e.g. usage errors): EPIPE there is not a test failure.
    child.stdin!.on('error', () => {});
    fd3.on('error', () => {});
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(errs).toString(), monitor: Buffer.concat(mon) }),
    );
    child.stdin!.end(opts.stdin ?? '');
  });
}

// Structural view of a monitor stream: the status/result records with progress and (full-context) ids.
export function monitorStructure(buf: Buffer) {
  return buf
    .toString('utf8')
    .split('\x1e')
    .filter(Boolean)
    .map((r) => JSON.parse(r))
    .filter((r) => typeof r.message === 'string' && /^(Starting|Finished|starting|manifest)/.test(r.message))
    .map((r) => ({
      message: r.message.replace(/ \S*\/tiny\.json| \S*\/fail-stage\.json| \S*\/m\.json/, ' MANIFEST'),
      progress: r.progress,
      context: 'origin' in r.context ? r.context : { id: r.context.id },
      result: r.result && { ...r.result, output: undefined },
      options: r.options,
      keys: Object.keys(r).filter((k) => k !== 'duration'),
    }));
}

// Minimal ustar/gnu reader for checking the exported archive.
export function readTar(buf: Buffer) {
  const entries: { name: string; mode: number; type: string; data: Buffer }[] = [];
  let off = 0;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number) => h.subarray(a, a + n).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(str(124, 12).trim() || '0', 8);
    const prefix = str(345, 155);
    const name = (prefix ? `${prefix}/` : '') + str(0, 100);
    entries.push({ name, mode: parseInt(str(100, 8).trim(), 8), type: str(156, 1) || '0', data: buf.subarray(off + 512, off + 512 + size) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

export const modeString = (type: string, mode: number) =>
  (type === '5' ? 'd' : '-') + [6, 3, 0].map((s) => ['r', 'w', 'x'].map((c, i) => ((mode >> s) & (4 >> i) ? c : '-')).join('')).join('');
