/**
 * A crafted repository and requests for how install specs are matched: groups and environments by id or name, and
 * package specs with versions, releases, architectures and globs (`bash-5.*`, `tmux-3*`, `?`, `[...]`).
 */
import type { GenPackage, GenRepo } from './repo-generator.ts';
import type { CraftedRequest } from './scenarios.ts';

const pkg = (name: string, version: string, release = '1.fc40', extra: Partial<GenPackage> = {}): GenPackage => ({
  name,
  version,
  release,
  arch: extra.arch ?? 'x86_64',
  ...extra,
});

export const specRepo: GenRepo = {
  packages: [
    pkg('bash', '4.4.23'),
    pkg('bash', '5.1.8', '3.fc40'),
    pkg('bash', '5.2.26'),
    pkg('bash-completion', '2.11', '1.fc40', { arch: 'noarch', requires: ['bash >= 4.0'] }),
    pkg('tmux', '2.9'),
    pkg('tmux', '3.3a'),
    pkg('tmux', '3.4', '2.fc40'),
    pkg('tmux-powerline', '1.0', '1.fc40', { arch: 'noarch', requires: ['tmux >= 3.0'] }),
    // A name that a name-version glob also matches as a name: dnf tries the name form first.
    pkg('nano', '7.2'),
    pkg('nano', '8.0'),
    pkg('nano-8ball', '1.0'),
    // Epochs.
    pkg('perl-Foo', '2.0', '1.fc40', { epoch: 1 }),
    pkg('perl-Foo', '3.0'),
    // Names with dashes and digits.
    pkg('python3', '3.12.1'),
    pkg('python3-libs', '3.12.1', '1.fc40', { requires: ['python3 = 3.12.1-1.fc40'] }),
    pkg('python3-libs', '3.11.0'),
    // Obsoletes, found through a name glob.
    pkg('oldtool', '1.0'),
    pkg('newtool', '2.0', '1.fc40', { obsoletes: ['oldtool < 2.0'], provides: ['oldtool = 2.0'] }),
    // Provides globs.
    pkg('httpd', '2.4', '1.fc40', { provides: ['webserver'] }),
    pkg('nginx', '1.24', '1.fc40', { provides: ['webserver'] }),
    // Architectures.
    pkg('archy', '1.0', '1.fc40', { arch: 'aarch64' }),
    pkg('archy', '0.9'),
    // Group members.
    pkg('cloud-init', '24.1', '1.fc40', { arch: 'noarch' }),
    pkg('cloud-utils-growpart', '0.33', '1.fc40', { arch: 'noarch' }),
    pkg('server-tool', '1.0'),
    pkg('shared-tool', '1.0'),
  ],
  groups: [
    { id: 'cloud-server', name: 'Fedora Cloud Server', packages: [{ name: 'cloud-init' }, { name: 'cloud-utils-growpart', type: 'default' }] },
    { id: 'server-product', name: 'Fedora Server product core', packages: [{ name: 'server-tool' }] },
    { id: 'shared', name: 'Shared Name', packages: [{ name: 'shared-tool' }] },
  ],
  environments: [
    { id: 'server-product-environment', name: 'Fedora Server Edition', groups: ['server-product', 'cloud-server'] },
    // An environment whose name is also a group's name: dnf installs both.
    { id: 'shared-environment', name: 'Shared Name', groups: ['cloud-server'] },
  ],
};

export const groupRequests: CraftedRequest[] = [
  { name: 'group by id', include: ['@cloud-server'] },
  { name: 'group by name with spaces', include: ['@Fedora Cloud Server'] },
  { name: 'group by name in lower case', include: ['@fedora cloud server'] },
  { name: 'group by name in upper case', include: ['@FEDORA CLOUD SERVER'] },
  { name: 'group by id in other case', include: ['@Cloud-Server'] },
  { name: 'group by glob', include: ['@cloud-*'] },
  { name: 'group by name glob', include: ['@Fedora Cloud ?erver'] },
  { name: 'group name not matching', include: ['@Fedora Cloud'] },
  { name: 'environment by id', include: ['@server-product-environment'] },
  { name: 'environment by name', include: ['@Fedora Server Edition'] },
  { name: 'environment by name in other case', include: ['@fedora server edition'] },
  { name: 'environment with caret by id', include: ['@^server-product-environment'] },
  { name: 'environment with caret by name', include: ['@^Fedora Server Edition'] },
  { name: 'group and environment sharing a name', include: ['@Shared Name'] },
  { name: 'group and packages', include: ['tmux', '@Fedora Cloud Server'] },
  { name: 'group with package types', include: ['@Fedora Cloud Server/mandatory'] },
  { name: 'group name repeated', include: ['@cloud-server', '@Fedora Cloud Server'] },
];

export const packageSpecRequests: CraftedRequest[] = [
  { name: 'name-version glob', include: ['bash-5.*'] },
  { name: 'name-version glob without dot', include: ['tmux-3*'] },
  { name: 'name-version', include: ['bash-5.1.8'] },
  { name: 'name-version-release', include: ['bash-5.1.8-3.fc40'] },
  { name: 'name-version-release.arch', include: ['bash-5.1.8-3.fc40.x86_64'] },
  { name: 'name.arch', include: ['bash.x86_64', 'bash-completion.noarch'] },
  { name: 'name.arch glob', include: ['bash.x86_*'] },
  { name: 'question mark in version', include: ['bash-5.?.*'] },
  { name: 'bracket in version', include: ['bash-[4].*'] },
  { name: 'release glob', include: ['bash-5.2.26-1.fc*'] },
  { name: 'version glob with release', include: ['bash-*-3.fc40'] },
  { name: 'name glob matching several names', include: ['tmux*'] },
  { name: 'name glob with question mark', include: ['tmu?'] },
  { name: 'name glob with brackets', include: ['[bt]ash'] },
  { name: 'name form before name-version form', include: ['nano-8*'] },
  { name: 'bracket range across the dash (nevra glob)', include: ['tmux-[0-9]*'] },
  { name: 'epoch and version', include: ['perl-Foo-1:2.0'] },
  { name: 'version without epoch', include: ['perl-Foo-2.0'] },
  { name: 'epoch version release', include: ['perl-Foo-1:2.0-1.fc40'] },
  { name: 'name with dashes and version', include: ['python3-libs-3.11.0'] },
  { name: 'name with dashes and version glob', include: ['python3-libs-3.12*'] },
  { name: 'name that is a prefix of another with version', include: ['python3-3.12.1'] },
  { name: 'version equal by rpmvercmp', include: ['tmux-03.4'] },
  { name: 'name glob with obsoletes', include: ['oldto*'] },
  { name: 'provides glob', include: ['webserv*'] },
  { name: 'other case does not match', include: ['BASH'] },
  { name: 'version glob with no match', include: ['bash-6.*'] },
  { name: 'glob with no match', include: ['nosuch*'] },
  { name: 'only another architecture matches the version', include: ['archy-1.0'] },
  { name: 'version glob of an excluded name', include: ['bash-5.*'], exclude: ['bas?'] },
  { name: 'name glob with an exclude', include: ['tmux*'], exclude: ['tmux-powerline'] },
  { name: 'blueprint name-version with glob', include: ['tmux-3.*', 'bash-5.2.*'] },
];
