import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../layers/src/log/logger.ts';

/** Who works in a build directory: the agent process and, once started, osbuild (the leader of its process group). */
interface BuildDirOwner {
  agentPid: number;
  osbuildPid?: number;
}

const OWNER_FILE = 'owner.json';
const UNMARKED_GRACE_MS = 60_000;

export async function markBuildDir(dir: string, osbuildPid?: number): Promise<void> {
  const owner: BuildDirOwner = { agentPid: process.pid, ...(osbuildPid ? { osbuildPid } : {}) };
  await writeFile(join(dir, OWNER_FILE), JSON.stringify(owner));
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

/** Whether `pid` is still the osbuild that worked in `dir` (its command line names the directory), not a reused pid. */
async function isOsbuildOf(pid: number, dir: string): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return cmdline !== undefined && cmdline.split('\0').some((arg) => arg.startsWith(`${dir}/`));
}

/**
 * Cleans up after agents that died without cleaning up (kill -9, OOM, a crash before systemd restarts us): their
 * osbuild process groups are killed – so an orphan never builds beside the runner that took the compose over – and
 * their build directories (exported images included) are removed. Directories of live agents are left alone.
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
    if (owner?.osbuildPid && isAlive(owner.osbuildPid)) {
      if (!(await isOsbuildOf(owner.osbuildPid, dir))) {
        log.warn('abandoned build directory has a live process that is not its osbuild; left alone', { dir, pid: owner.osbuildPid });
        continue;
      }
      try {
        process.kill(-owner.osbuildPid, 'SIGKILL');
        killed.push(owner.osbuildPid);
        await waitForExit(owner.osbuildPid);
      } catch (error) {
        log.warn('could not stop the osbuild of an abandoned build', { dir, pid: owner.osbuildPid, error });
        continue;
      }
    }
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  if (removed.length > 0) log.info('removed abandoned builds', { removed, killedOsbuild: killed });
  return { removed, killed };
}

async function waitForExit(pid: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}
