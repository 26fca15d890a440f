/**
 * Weldr `projects/*` and `modules/*` from the package-details source over a real (file://) repository added as a user
 * source: composer's PackageInfo field for field (description, homepage, build_time as Go formats it, licence, one
 * build per package, N-V-R order), built lazily once per repository revision and kept in the BlobStore.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { primaryPackageXml, writeRepodata, type GenPackage } from '../depsolve/repo-generator.ts';
import { composerCli } from './weldr-client.ts';
import { startWeldrStack } from './weldr-stack.ts';

interface Extra {
  description?: string;
  /** undefined: no <url> element. */
  url?: string;
  /** undefined: no <time> element. */
  build?: number;
}

/** primary.xml entries as createrepo writes them, with the texts under test replaced. */
function packageXml(p: GenPackage, extra: Extra): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  let xml = primaryPackageXml(p).replace(/ {2}<description>.*<\/description>\n/, `  <description>${esc(extra.description ?? '')}</description>\n`);
  xml = extra.url === undefined ? xml.replace(/ {2}<url>.*<\/url>\n/, '') : xml.replace(/<url>.*<\/url>/, `<url>${esc(extra.url)}</url>`);
  xml = extra.build === undefined ? xml.replace(/ {2}<time [^>]*\/>\n/, '') : xml.replace(/<time [^>]*\/>/, `<time file="1" build="${extra.build}"/>`);
  return xml;
}

const BASH_DESCRIPTION = 'The GNU Bourne Again shell (Bash) is a shell or command language\ninterpreter that is compatible with the Bourne shell (sh) & <more>.';
const PACKAGES: [GenPackage, Extra][] = [
  [{ name: 'bash', version: '5.1.8', release: '9.el9', arch: 'x86_64', summary: 'The GNU Bourne Again shell', license: 'GPLv3+' }, { description: BASH_DESCRIPTION, url: 'https://www.gnu.org/software/bash', build: 1_700_000_000 }],
  [{ name: 'bash', version: '5.1.8', release: '6.el9', arch: 'x86_64', summary: 'The GNU Bourne Again shell', license: 'GPLv3+' }, { description: BASH_DESCRIPTION, url: 'https://www.gnu.org/software/bash', build: 1_650_000_000 }],
  [{ name: 'glibc', version: '2.34', release: '100.el9', arch: 'x86_64', summary: 'The GNU libc libraries', license: 'LGPLv2+' }, { description: 'glibc', url: 'http://www.gnu.org/software/glibc/', build: 1_600_000_000 }],
  [{ name: 'glibc', version: '2.34', release: '100.el9', arch: 'i686', summary: 'The GNU libc libraries', license: 'LGPLv2+' }, { description: 'glibc', url: 'http://www.gnu.org/software/glibc/', build: 1_600_000_001 }],
  [{ name: 'tmux', version: '3.2a', release: '5.el9', arch: 'aarch64', summary: 'A terminal multiplexer', license: 'ISC' }, { description: 'not for x86_64', url: 'https://tmux.github.io/', build: 1 }],
  [{ name: 'vim-minimal', epoch: 2, version: '8.2.2637', release: '20.el9', arch: 'x86_64', summary: 'A minimal version of the VIM editor', license: 'Vim AND MIT', requires: ['vim-filesystem'] }, { description: '' }],
  [{ name: 'vim-filesystem', epoch: 2, version: '8.2.2637', release: '20.el9', arch: 'noarch', summary: 'VIM filesystem layout', license: 'Vim' }, { description: 'layout', url: '', build: 1_620_000_000 }],
  [{ name: 'NetworkManager', epoch: 1, version: '1.42.2', release: '1.el9', arch: 'x86_64', summary: 'Network connection manager', license: 'GPLv2+' }, { description: 'NM', url: 'https://networkmanager.dev/', build: 1_680_000_000 }],
  [{ name: 'bash-completion', epoch: 1, version: '2.11', release: '4.el9', arch: 'noarch', summary: 'Programmable completion for Bash', license: 'GPLv2+' }, { description: 'completion', url: 'https://github.com/scop/bash-completion', build: 1_630_000_000 }],
];

function writeTestRepository(dir: string): void {
  const xml = PACKAGES.map(([p, extra]) => packageXml(p, extra)).join('');
  const primary = `<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${PACKAGES.length}">\n${xml}</metadata>\n`;
  writeRepodata(dir, [{ type: 'primary', data: Buffer.from(primary), compression: 'gz' }]);
}

const build = (arch: string, buildTime: string, epoch: number, release: string, license: string, version: string) => ({
  arch,
  build_time: buildTime,
  epoch,
  release,
  source: { license, version, source_ref: 'SOURCE_REF', metadata: {} },
  changelog: 'CHANGELOG_NEEDED',
  build_config_ref: 'BUILD_CONFIG_REF',
  build_env_ref: 'BUILD_ENV_REF',
  metadata: {},
});

let stack: LocalStack;
let cli: ReturnType<typeof composerCli>;
beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ibs-weldr-details-'));
  const repoDir = mkdtempSync(join(tmpdir(), 'ibs-weldr-details-repo-'));
  writeTestRepository(repoDir);
  // The real depsolver and details source (no depsolver given), the test distribution (no system repositories).
  ({ stack, cli } = await startWeldrStack('weldr-details', 'test-distro-1', { dataDir, fileRepositories: true }));
  const source = { id: 'local', name: 'local mirror', type: 'yum-baseurl', url: `${pathToFileURL(repoDir).href}/`, check_gpg: false, check_ssl: false };
  expect((await cli.postJson('/projects/source/new', source)).json()).toEqual({ status: true });
}, 60_000);
afterAll(() => stack?.stop());

const arch = '?arch=x86_64';

describe('Weldr projects from the package-details source', () => {
  it('projects/info: description, homepage, build_time, licence and every build, as composer', async () => {
    const res = await cli.get(`/projects/info/bash,vim-minimal${arch}`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      projects: [
        {
          name: 'bash',
          summary: 'The GNU Bourne Again shell',
          description: BASH_DESCRIPTION,
          homepage: 'https://www.gnu.org/software/bash',
          upstream_vcs: 'UPSTREAM_VCS',
          // sorted by N-V-R: 6.el9 before 9.el9
          builds: [build('x86_64', '2022-04-15T05:20:00', 0, '6.el9', 'GPLv3+', '5.1.8'), build('x86_64', '2023-11-14T22:13:20', 0, '9.el9', 'GPLv3+', '5.1.8')],
        },
        {
          name: 'vim-minimal',
          summary: 'A minimal version of the VIM editor',
          description: '',
          homepage: '',
          upstream_vcs: 'UPSTREAM_VCS',
          // no <time>: Go's zero time.Time formatted
          builds: [build('x86_64', '0001-01-01T00:00:00', 2, '20.el9', 'Vim AND MIT', '8.2.2637')],
        },
      ],
    });
  });

  it('multilib builds on x86_64, other architectures left out; globs and substrings as osbuild-depsolve-dnf searches', async () => {
    const glibc = (await cli.get(`/projects/info/glibc${arch}`)).json<{ projects: { builds: { arch: string }[] }[] }>();
    expect(glibc.projects[0].builds.map((b) => b.arch)).toEqual(['i686', 'x86_64']);
    expect((await cli.get(`/projects/info/tmux${arch}`)).json()).toEqual({ status: false, errors: [{ id: 'UnknownProject', msg: 'No packages have been found.' }] });
    const names = async (q: string) => (await cli.get(`/projects/info/${q}${arch}`)).json<{ projects: { name: string }[] }>().projects.map((p) => p.name);
    expect(await names('bash*')).toEqual(['bash', 'bash-completion']);
    expect(await names('*vim*')).toEqual(['vim-filesystem', 'vim-minimal']);
    // no `*`: an exact name (a `?` is not a glob for dnf-json's search)
    expect((await cli.get(`/projects/info/bas?${arch}`)).json()).toMatchObject({ errors: [{ id: 'UnknownProject' }] });
  });

  it('projects/list: N-V-R (byte) order, all builds, a total of names; modules/list and modules/info the same source', async () => {
    const all = await cli.getAll(`/projects/list${arch}`);
    const list = all.json<{ total: number; offset: number; limit: number; projects: { name: string; builds: unknown[]; homepage: string }[] }>();
    expect(list.total).toBe(6);
    expect(list.projects.map((p) => p.name)).toEqual(['NetworkManager', 'bash', 'bash-completion', 'glibc', 'vim-filesystem', 'vim-minimal']);
    expect(list.projects.find((p) => p.name === 'NetworkManager')?.homepage).toBe('https://networkmanager.dev/');
    const modules = (await cli.get(`/modules/list/vim*${arch}`)).json();
    expect(modules).toEqual({ total: 2, offset: 0, limit: 20, modules: [{ name: 'vim-filesystem', group_type: 'rpm' }, { name: 'vim-minimal', group_type: 'rpm' }] });
    const info = (await cli.get(`/modules/info/vim-minimal${arch}`)).json<{ modules: { name: string; description: string; dependencies: { name: string }[] }[] }>();
    expect(info.modules[0]).toMatchObject({ name: 'vim-minimal', description: '' });
    expect(info.modules[0].dependencies.map((d) => d.name)).toEqual(['vim-filesystem', 'vim-minimal']);
  });

  it('serves projects/list/ as composer registers it, and answers a distribution without the architecture as composer', async () => {
    expect((await cli.get(`/projects/list/${arch}&limit=0`)).json()).toEqual({ total: 6, offset: 0, limit: 0, projects: [] });
    const distroError = (msg: string) => ({ status: false, errors: [{ id: 'DistroError', msg }] });
    // fetchPackageList's getDistro error, wrapped as `msg: ...` under the route's id
    expect((await cli.get('/projects/info/bash?arch=s390x')).json()).toEqual({ status: false, errors: [{ id: 'ProjectsError', msg: 'msg: GetDistro - unknown distribution: test-distro-1' }] });
    expect((await cli.get('/modules/list?arch=s390x')).json()).toEqual({ status: false, errors: [{ id: 'ModulesError', msg: 'msg: GetDistro - unknown distribution: test-distro-1' }] });
    expect((await cli.get('/projects/depsolve/bash?arch=s390x')).json()).toEqual(distroError('Unknown distribution: test-distro-1'));
    expect((await cli.get('/compose/types?arch=s390x')).json()).toEqual(distroError('Unknown distribution: test-distro-1'));
    expect((await cli.get('/compose/types?arch=s390x&distro=test-distro-1')).json()).toEqual(distroError('Invalid distro: test-distro-1'));
  });

  it('is built once per repository revision and kept in the BlobStore', async () => {
    const stored = await stack.deps.blobs.list('package-details/');
    expect(stored).toHaveLength(1);
    expect(stored[0].key).toMatch(/^package-details\/v1\/[0-9a-f]{64}\.json\.gz$/);
  });
});
