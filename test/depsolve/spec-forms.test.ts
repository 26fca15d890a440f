/**
 * How install specs are matched, against dnf: groups and environments by id or name (any case, with spaces, globs),
 * and package specs in name, name.arch, name-version, name-version-release(.arch) forms with `*`, `?` and `[...]`.
 */
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { compareOutcomes, craftedTasks, resolveOurs } from './compare.ts';
import { dnfTitle, hasDnf, runDnfOracle, serveDirectory, type OracleResult, type OracleTask, type StaticServer } from './helpers.ts';
import { writeRepo } from './repo-generator.ts';
import { groupRequests, packageSpecRequests, specRepo } from './spec-scenarios.ts';

describe.skipIf(!hasDnf())(dnfTitle('install specs are matched as dnf matches them'), () => {
  let dir: string;
  let server: StaticServer;
  let tasks: Map<string, OracleTask>;
  let dnf: Map<string, OracleResult>;
  const solver = new RepoDepsolver();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'depsolve-specs-'));
    mkdirSync(join(dir, 'specs'));
    writeRepo(join(dir, 'specs'), specRepo);
    server = await serveDirectory(dir);
    const all = craftedTasks([...groupRequests, ...packageSpecRequests], server.url, 'specs');
    tasks = new Map(all.map((t) => [t.id, t]));
    dnf = await runDnfOracle(all);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const check = async (name: string) => {
    const task = tasks.get(name)!;
    const theirs = dnf.get(name)!;
    const ours = await resolveOurs(solver, task);
    expect(compareOutcomes(task, ours, theirs)).toBeUndefined();
    if (!ours.ok) expect(ours.error!.trim()).toBe(theirs.error!.replace(/^marking: /, '').trim());
    return theirs;
  };

  describe('groups and environments', () => {
    it.each(groupRequests.map((r) => [r.name, r.include.join(' ')]))('%s (%s)', async (name) => {
      await check(name);
    });
    it('the Fedora-style group name resolves (dnf installs its members)', async () => {
      const theirs = await check('group by name with spaces');
      expect(theirs.packages?.some((p) => p.startsWith('cloud-init-'))).toBe(true);
    });
  });

  describe('package specs', () => {
    it.each(packageSpecRequests.map((r) => [r.name, r.include.join(' ')]))('%s (%s)', async (name) => {
      await check(name);
    });
    it('bash-5.* picks the newest bash 5 (dnf agrees)', async () => {
      const theirs = await check('name-version glob');
      expect(theirs.packages).toContain('bash-5.2.26-1.fc40.x86_64');
    });
  });
});
