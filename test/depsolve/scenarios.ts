/** Crafted repositories: one request per semantic the depsolver must share with dnf. */
import type { GenPackage, GenRepo } from './repo-generator.ts';

const pkg = (name: string, version: string, extra: Partial<GenPackage> = {}): GenPackage => ({
  name,
  version,
  release: extra.release ?? '1.fc40',
  arch: extra.arch ?? 'x86_64',
  ...extra,
});

export const craftedMain: GenRepo = {
  packages: [
    // Several providers: name order (httpd before nginx; postfix before sendmail).
    pkg('webapp', '1.0', { requires: ['webserver'] }),
    pkg('nginx', '1.24', { provides: ['webserver'] }),
    pkg('httpd', '2.4', { provides: ['webserver'] }),
    pkg('mailer', '1.0', { requires: ['mta'] }),
    pkg('sendmail', '8.17', { provides: ['mta'] }),
    pkg('postfix', '3.8', { provides: ['mta'] }),
    // A provider recommended by something in the transaction is preferred.
    pkg('mailer-rec', '1.0', { requires: ['mta'], recommends: ['sendmail'] }),
    // Obsoletes: installing oldtool installs newtool.
    pkg('oldtool', '1.0'),
    pkg('newtool', '2.0', { obsoletes: ['oldtool < 2.0'], provides: ['oldtool = 2.0'] }),
    // Epoch beats version; upper bounds.
    pkg('epochy', '2.0'),
    pkg('epochy', '1.5', { epoch: 1 }),
    pkg('oldapi', '2.0'),
    pkg('oldapi', '2.5'),
    pkg('oldapi', '3.1'),
    pkg('legacy-client', '1.0', { requires: ['oldapi < 3.0'] }),
    pkg('exact-client', '1.0', { requires: ['oldapi = 2.0'] }),
    pkg('epoch-client', '1.0', { requires: ['epochy >= 1:1.0'] }),
    // Tilde and caret versions.
    pkg('tilde', '1.0~rc1'),
    pkg('tilde', '1.0'),
    pkg('caret', '1.0'),
    pkg('caret', '1.0^git1'),
    // Weak dependencies.
    pkg('editor', '1.0', { recommends: ['editor-spell'], suggests: ['editor-themes'] }),
    pkg('editor-spell', '1.0'),
    pkg('editor-themes', '1.0'),
    pkg('editor-langpack', '1.0', { supplements: ['editor'] }),
    pkg('editor-extra', '1.0', { supplements: ['(editor and tilde)'] }),
    pkg('editor-enh', '1.0', { enhances: ['editor'] }),
    // File dependencies: one in primary (/usr/bin), one only in filelists.
    pkg('tool-user', '1.0', { requires: ['/usr/bin/toolx'] }),
    pkg('toolx', '1.0', { files: ['/usr/bin/toolx', '/usr/share/toolx/data'] }),
    pkg('data-user', '1.0', { requires: ['/usr/share/toolx/data'] }),
    pkg('missing-file-user', '1.0', { requires: ['/usr/share/nothing/here'] }),
    // Requires(pre).
    pkg('scriptlet', '1.0', { requiresPre: ['shadow-utils'] }),
    pkg('shadow-utils', '4.14', { files: ['/usr/sbin/useradd'] }),
    // Conflicts and unsatisfiable requests.
    pkg('conflict-a', '1.0', { conflicts: ['conflict-b'] }),
    pkg('conflict-b', '1.0'),
    pkg('broken', '1.0', { requires: ['does-not-exist'] }),
    pkg('broken-user', '1.0', { requires: ['broken'] }),
    // Rich dependencies.
    pkg('rich-or', '1.0', { requires: ['(zlib-ng or zlib)'] }),
    pkg('zlib', '1.3'),
    pkg('zlib-ng', '2.1'),
    pkg('rich-if', '1.0', { requires: ['(rich-if-plugin if editor)'] }),
    pkg('rich-if-plugin', '1.0'),
    pkg('rich-with', '1.0', { requires: ['(oldapi >= 2.1 with oldapi < 3)'] }),
    pkg('rich-else', '1.0', { requires: ['(zlib if editor else zlib-ng)'] }),
    pkg('rich-unless', '1.0', { requires: ['(postfix unless sendmail)'] }),
    // Names with parentheses inside rich dependencies (Fedora's generated python3dist() and soname dependencies).
    pkg('py-app', '1.0', { requires: ['(python3dist(requests) >= 2.20 with python3dist(requests) < 3)', '(libpng16.so.16()(64bit) or libpng-compat)'] }),
    pkg('python3-requests', '2.19', { provides: ['python3dist(requests) = 2.19'] }),
    pkg('python3-requests', '2.31', { provides: ['python3dist(requests) = 2.31'] }),
    pkg('python3-requests3', '3.0', { provides: ['python3dist(requests) = 3.0'] }),
    pkg('libpng', '1.6', { provides: ['libpng16.so.16()(64bit)'] }),
    pkg('libpng-compat', '1.0'),
    pkg('rich-broken', '1.0', { requires: ['(zlib or)', 'zlib-ng'] }), // libsolv drops a rich dependency that does not parse
    pkg('py-plugin', '1.0', { recommends: ['(python3dist(pillow) if python3dist(requests))'] }),
    pkg('python3-pillow', '10.0', { provides: ['python3dist(pillow) = 10.0'] }),
    // Architectures: aarch64 never, noarch fine.
    pkg('archy', '1.0', { arch: 'aarch64' }),
    pkg('archy', '0.9', { arch: 'x86_64' }),
    pkg('noarchy', '1.0', { arch: 'noarch' }),
    // Versioned provides.
    pkg('vprov-user', '1.0', { requires: ['libfoo.so.1()(64bit) >= 1.2'] }),
    pkg('libfoo-old', '1.0', { provides: ['libfoo.so.1()(64bit) = 1.1'] }),
    pkg('libfoo-new', '1.0', { provides: ['libfoo.so.1()(64bit) = 1.3'] }),
    // Excludes.
    pkg('excl-user', '1.0', { requires: ['excl-dep'] }),
    pkg('excl-dep', '1.0'),
    pkg('excl-dep-alt', '1.0', { provides: ['excl-dep'] }),
    // Groups.
    pkg('core-mand', '1.0'),
    pkg('core-def', '1.0'),
    pkg('core-opt', '1.0'),
    pkg('core-cond', '1.0'),
    pkg('core-cond-untriggered', '1.0'),
    pkg('server-mand', '1.0', { requires: ['webserver'] }),
  ],
  groups: [
    {
      id: 'core',
      packages: [
        { name: 'core-mand', type: 'mandatory' },
        { name: 'core-def', type: 'default' },
        { name: 'core-opt', type: 'optional' },
        { name: 'core-cond', type: 'conditional', requires: 'core-mand' },
        { name: 'core-cond-untriggered', type: 'conditional', requires: 'nginx' },
        { name: 'no-such-package', type: 'mandatory' },
      ],
    },
    { id: 'web-server', packages: [{ name: 'server-mand' }] },
  ],
  environments: [{ id: 'server-env', groups: ['core', 'web-server'] }],
};

/** A second repository for priority / cost / several-repository cases. */
export const craftedUpdates: GenRepo = {
  packages: [
    pkg('oldapi', '2.7'),
    pkg('zlib', '1.4'),
    pkg('prio-pkg', '1.0'),
  ],
};
export const craftedMainExtra: GenPackage[] = [pkg('prio-pkg', '2.0')];

export interface CraftedRequest {
  name: string;
  include: string[];
  exclude?: string[];
  weak?: boolean;
  /** Which repositories (by index into the crafted set) and their options. */
  repos?: { repo: string; priority?: number; cost?: number }[];
}

export const craftedRequests: CraftedRequest[] = [
  { name: 'provider name order', include: ['webapp', 'mailer'] },
  { name: 'recommended provider preferred', include: ['mailer-rec'] },
  { name: 'recommended provider preferred without weak deps', include: ['mailer-rec'], weak: false },
  { name: 'obsoleted name installs obsoleter', include: ['oldtool'] },
  { name: 'epoch beats version', include: ['epochy', 'epoch-client'] },
  { name: 'upper bound picks best below', include: ['legacy-client'] },
  { name: 'exact version', include: ['exact-client'] },
  { name: 'best version', include: ['oldapi'] },
  { name: 'tilde and caret', include: ['tilde', 'caret'] },
  { name: 'weak deps on', include: ['editor'] },
  { name: 'weak deps off', include: ['editor'], weak: false },
  { name: 'supplements with rich and', include: ['editor', 'tilde'] },
  { name: 'file dep in primary', include: ['tool-user'] },
  { name: 'file dep only in filelists', include: ['data-user'] },
  { name: 'file dep nobody provides', include: ['missing-file-user'] },
  { name: 'requires pre', include: ['scriptlet'] },
  { name: 'conflicting requests', include: ['conflict-a', 'conflict-b'] },
  { name: 'nothing provides', include: ['broken'] },
  { name: 'nested nothing provides', include: ['broken-user'] },
  { name: 'rich or', include: ['rich-or'] },
  { name: 'rich if untriggered', include: ['rich-if'] },
  { name: 'rich if triggered', include: ['rich-if', 'editor'], weak: false },
  { name: 'rich with', include: ['rich-with'] },
  { name: 'rich else', include: ['rich-else'] },
  { name: 'rich unless', include: ['rich-unless'] },
  { name: 'rich with names in parentheses', include: ['py-app'] },
  { name: 'rich dependency that does not parse', include: ['rich-broken'] },
  { name: 'rich weak dependency with names in parentheses', include: ['py-plugin', 'py-app'] },
  { name: 'arch compatibility', include: ['archy', 'noarchy'] },
  { name: 'versioned provides', include: ['vprov-user'] },
  { name: 'exclude a provider', include: ['excl-user'], exclude: ['excl-dep'] },
  { name: 'exclude the requested package', include: ['excl-dep'], exclude: ['excl-dep'] },
  { name: 'group', include: ['@core'] },
  { name: 'group with trigger', include: ['@core', 'nginx'] },
  { name: 'environment', include: ['@server-env'] },
  { name: 'unknown package', include: ['no-such-thing'] },
  { name: 'unknown group', include: ['@nosuch', 'webapp'] },
  { name: 'two problems', include: ['broken', 'conflict-a', 'conflict-b'] },
  { name: 'provide as spec', include: ['webserver'] },
  { name: 'file path as spec', include: ['/usr/bin/toolx'] },
  { name: 'two repos best version', include: ['oldapi', 'zlib'], repos: [{ repo: 'main' }, { repo: 'updates' }] },
  { name: 'repo priority', include: ['oldapi', 'prio-pkg'], repos: [{ repo: 'main', priority: 50 }, { repo: 'updates', priority: 10 }] },
  { name: 'repo cost', include: ['prio-pkg'], repos: [{ repo: 'main', cost: 2000 }, { repo: 'updates', cost: 500 }] },
];
