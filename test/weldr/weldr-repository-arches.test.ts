/**
 * composer offers a distribution on an architecture only when it has repositories for it (validDistros /
 * DistroHasRepos): with an IBS_REPOSITORIES_DIR file naming x86_64 only, `distros/list?arch=aarch64`,
 * `compose/types` and `projects/*` with that architecture leave the distribution out, as composer does.
 * The registry reads IBS_REPOSITORIES_DIR once per process: it is set before the stack is imported.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { composerCli } from './weldr-client.ts';

let stack: LocalStack;
let cli: ReturnType<typeof composerCli>;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ibs-weldr-arches-'));
  writeFileSync(join(dir, 'fedora-44.json'), JSON.stringify({ x86_64: [{ name: 'mirror', baseurl: 'file:///srv/mirror/fedora/44/x86_64/' }] }));
  process.env.IBS_REPOSITORIES_DIR = dir;
  const { startWeldrStack } = await import('./weldr-stack.ts');
  ({ stack, cli } = await startWeldrStack('weldr-arches', 'fedora-44'));
}, 60_000);
afterAll(() => {
  delete process.env.IBS_REPOSITORIES_DIR;
  return stack?.stop();
});

const distroError = (msg: string) => ({ status: false, errors: [{ id: 'DistroError', msg }] });

describe('Weldr distributions by architecture with a repository override', () => {
  it('leaves out a distribution whose override has no repositories for the architecture', async () => {
    const x86 = (await cli.get('/distros/list?arch=x86_64')).json<{ distros: string[] }>().distros;
    const arm = (await cli.get('/distros/list?arch=aarch64')).json<{ distros: string[] }>().distros;
    expect(x86).toContain('fedora-44');
    expect(arm).not.toContain('fedora-44');
    // distributions without an override keep their built-in repositories on both; the test distribution has none
    expect(arm).toEqual(expect.arrayContaining(['fedora-43', 'centos-9', 'test-distro-1']));
  });

  it('answers compose/types and projects for that architecture as composer does for a distribution it does not offer', async () => {
    expect((await cli.get('/compose/types?distro=fedora-44&arch=aarch64')).json()).toEqual(distroError('Invalid distro: fedora-44'));
    // no ?distro=: the default distribution, unknown on that architecture (composer's getDistro)
    expect((await cli.get('/compose/types?arch=aarch64')).json()).toEqual(distroError('Unknown distribution: fedora-44'));
    expect((await cli.get('/compose/types?arch=x86_64')).json<{ types: unknown[] }>().types.length).toBeGreaterThan(0);
    expect((await cli.get('/projects/depsolve/tmux?arch=aarch64')).json()).toEqual(distroError('Unknown distribution: fedora-44'));
  });
});
