import { readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../layers/src/log/logger.ts';

/** Who works in a build directory: the agent process (osbuild is found by its command line). */
interface BuildDirOwner {
  agentPid: number;
}

const OWNER_FILE = 'owner.json';
const UNMARKED_GRACE_MS = 60_000;

export async function markBuildDir(dir: string): Promise<void> {
  const owner: BuildDirOwner = { agentPid: process.pid };
  // Temp file + rename: a reader never sees a half-written file.
  await writeFile(join(dir, `${OWNER_FILE}.tmp`), JSON.stringify(owner));
  await rename(join(dir, `${OWNER_FILE}.tmp`), join(dir, OWNER_FILE));
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The process groups of processes whose command line names a path inside `dir` (osbuild's --output-directory). */
async function processGroupsWorkingIn(dir: string): Promise<number[]> {
  const groups = new Set<number>();
  const ownGroup = await processGroupOf(process.pid);
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.split('\0').some((arg) => arg.startsWith(`${dir}/`))) continue;
    const group = await processGroupOf(Number(entry));
    // Never our own group (a process we started without a group of its own): then only that process.
    groups.add(group !== undefined && group !== ownGroup ? -group : Number(entry));
  }
  return [...groups];
}

async function processGroupOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // pid (comm) state ppid pgrp …; comm may contain spaces and parentheses, so parse after the last ')'.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  const group = fields ? Number(fields[2]) : NaN;
  return Number.isInteger(group) && group > 0 ? group : undefined;
}

/**
 * Cleans up after agents that died without cleaning up (kill -9, OOM, a crash before systemd restarts us): the
 * process groups of everything still working in their build directories (osbuild, which runs in its own group, and
 * what it started) are killed – so an orphan never builds beside the runner that took the compose over – and the
 * directories (exported images included) are removed. Directories of live agents are left alone.
 */
export async function sweepAbandonedBuilds(workDir: string, log: Logger): Promise<{ removed: string[]; killed: number[] }> {
  const buildsDir = join(workDir, 'builds');
  const removed: string[] = [];
  const killed: number[] = [];
  for (const name of await readdir(buildsDir).catch(() => [] as string[])) {
    const dir = join(buildsDir, name);
    const owner = await readFile(join(dir, OWNER_FILE), 'utf8')
      .then((text) => JSON.parse(text) as BuildDirOwner)
      .catch(() => undefined);
    if (owner && owner.agentPid !== process.pid && isAlive(owner.agentPid)) continue;
    // Not marked yet: a live agent may have just created it.
    if (!owner && Date.now() - ((await stat(dir).catch(() => undefined))?.mtimeMs ?? 0) < UNMARKED_GRACE_MS) continue;
    const targets = await processGroupsWorkingIn(dir);
    try {
      for (const target of targets) process.kill(target, 'SIGKILL');
      await Promise.all(targets.map((target) => waitForExit(target)));
    } catch (error) {
      log.warn('could not stop the processes of an abandoned build', { dir, targets, error });
      continue;
    }
    killed.push(...targets.map(Math.abs));
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  if (removed.length > 0) log.info('removed abandoned builds', { removed, killedProcessGroups: killed });
  return { removed, killed };
}

/** Until nothing answers `target` (a pid, or a process group as -pgid) any more, for at most `timeoutMs`. */
async function waitForExit(target: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(target) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}
