/**
 * Runs osls the way a new user does, in a throw-away copy of the checkout (top-level files copied, folders linked, build
 * outputs left out), so `.serverless/` and `.esbuild/` never touch the repository or another test's run. Without network when
 * `unshare` can make a network namespace: packaging must need no AWS account and no network.
 */
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

// What osls and serverless-esbuild write into the service directory, and local data: never shared with the copy.
const OUTPUTS = new Set(['.serverless', '.esbuild', '.build', '.ibs-data', '.git']);

/** True when this machine can run a command without network (user and network namespaces). */
export const canRunOffline = (): boolean => spawnSync('unshare', ['-rn', 'true']).status === 0;

export interface CheckoutCopy {
  /** Remove this when done. */
  root: string;
  /** The service directory: the checkout's files copied, its folders linked, no build outputs. */
  service: string;
  /** An empty HOME: no AWS profile, no osls state. */
  home: string;
}

export function copyCheckout(): CheckoutCopy {
  const root = mkdtempSync(join(tmpdir(), 'ibs-osls-'));
  const copy = { root, service: join(root, 'service'), home: join(root, 'home') };
  mkdirSync(copy.service);
  mkdirSync(copy.home);
  for (const entry of readdirSync(REPO_ROOT, { withFileTypes: true })) {
    if (OUTPUTS.has(entry.name)) continue;
    // osls does not take a linked serverless.yml for a service directory.
    if (entry.isFile()) copyFileSync(join(REPO_ROOT, entry.name), join(copy.service, entry.name));
    else symlinkSync(join(REPO_ROOT, entry.name), join(copy.service, entry.name));
  }
  return copy;
}

export interface OslsRun {
  code: number;
  output: string;
  offline: boolean;
}

/**
 * `npx osls <args>` in the copy's service directory, with no AWS credentials (its empty HOME, only PATH passed on)
 * and, when possible, no network. Resolves with the exit code and the combined output.
 */
export function runOsls(copy: CheckoutCopy, args: string[], { requireOffline = false } = {}): Promise<OslsRun> {
  const offline = canRunOffline();
  if (requireOffline && !offline) throw new Error('unshare cannot create a network namespace here');
  const [command, commandArgs] = offline ? ['unshare', ['-rn', 'npx', 'osls', ...args]] : ['npx', ['osls', ...args]];
  const env = { PATH: process.env.PATH, HOME: copy.home, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };
  return new Promise((done) => {
    execFile(command, commandArgs, { cwd: copy.service, env, timeout: 170_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, output: `${stdout}${stderr}`, offline });
    });
  });
}

export const removeCopy = (copy: CheckoutCopy): void => rmSync(copy.root, { recursive: true, force: true });
