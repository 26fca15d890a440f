/**
 * Fedora-shaped repositories (the depsolver bench's, and the differential suite's large closures): tiered soname
 * dependencies, Fedora-like file lists under shared /usr/bin, /usr/lib64 and /usr/share/doc/<name> trees, comps with a
 * 200-package @core and a desktop-like environment of many groups, and the request shapes measured on them.
 */
import { rng, type GenEnvironment, type GenGroup, type GenPackage } from './repo-generator.ts';

const SERVER = ['@core', 'kernel', 'httpd', 'nginx', 'postfix', 'openssh-server', 'chrony', 'firewalld'];

/** Request shapes, each a set of package sets resolved together (as the manifest worker resolves a compose). */
export const REQUESTS: Record<string, Record<string, string[]>> = {
  /** The request: a ~420-package closure. */
  server: { os: SERVER },
  /** A desktop-like environment of many groups: a ~2,000-package closure. */
  desktop: { os: ['@workstation-product-environment', 'kernel', 'firewalld'] },
  /** The manifest worker's compose: a build root and the OS set, one after the other on the same repository. */
  twoSets: { build: ['bash', 'coreutils', 'dnf', 'rpm', 'python3', 'systemd', 'util-linux', 'shadow-utils', 'dracut', 'kmod', 'grubby', 'sudo'], os: SERVER },
};

const WORDS = ['core', 'util', 'net', 'ssl', 'xml', 'json', 'gtk', 'qt', 'font', 'audio', 'video', 'crypt', 'zip', 'yaml', 'http', 'dns', 'sql', 'test', 'doc', 'devel', 'data', 'tools', 'common', 'extra', 'plugin', 'server', 'client', 'daemon', 'lang', 'theme'];
const PREFIXES = ['lib', 'python3-', 'perl-', 'rubygem-', 'golang-', 'texlive-', 'ghc-', 'nodejs-', 'rust-', 'php-', '', '', ''];
const DESKTOP_GROUPS = ['standard', 'desktop', 'gnome-desktop', 'multimedia', 'fonts', 'printing', 'networkmanager', 'hardware-support'];
const TIER0 = 200;
const TIER1 = 5000;

/** Fedora-like files: docs and licenses in per-package directories, binaries and libraries in the shared trees. */
function filesOf(name: string, i: number, r: () => number): string[] {
  const files = [`/usr/share/doc/${name}/README`];
  if (r() < 0.5) files.push(`/usr/share/doc/${name}/NEWS`);
  if (r() < 0.6) files.push(`/usr/share/licenses/${name}/LICENSE`);
  if (i < TIER1 || name.startsWith('lib')) files.push(`/usr/lib64/lib${i}x.so.${1 + (i % 3)}`, `/usr/lib64/lib${i}x.so.${1 + (i % 3)}.0.0`);
  if (name.startsWith('python3-')) files.push(`/usr/lib/python3.13/site-packages/${name.slice(8)}/__init__.py`);
  if (i === 1) files.push('/bin/sh', '/usr/bin/bash', '/usr/bin/sh');
  else if (r() < 0.3) files.push(`/usr/bin/${name}`, `/usr/share/man/man1/${name}.1.gz`);
  if (r() < 0.1) files.push(`/etc/${name}.conf`);
  return files;
}

/** Fedora-shaped packages: tiered dependency graph (base libraries, libraries, applications), and comps groups. */
export function fedoraShapedPackages(n: number): { packages: GenPackage[]; groups: GenGroup[]; environments: GenEnvironment[] } {
  const r = rng(4);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const pkgs: GenPackage[] = [];
  const soname = (i: number) => `lib${i}x.so.${1 + (i % 3)}()(64bit)`;
  const named: Record<number, string> = {
    0: 'glibc', 1: 'bash', 2: 'filesystem', 3: 'setup', 4: 'coreutils', 5: 'systemd', 6: 'openssl-libs', 7: 'zlib-ng-compat',
    8: 'pam', 9: 'shadow-utils', 10: 'util-linux', 11: 'dbus', 12: 'kmod', 13: 'grubby', 14: 'dracut', 15: 'linux-firmware',
  };
  const apps = ['kernel', 'kernel-core', 'kernel-modules', 'httpd', 'httpd-core', 'nginx', 'postfix', 'openssh-server', 'openssh', 'chrony', 'firewalld', 'python3', 'sudo', 'dnf', 'rpm'];
  for (let i = 0; i < n; i++) {
    const name = named[i] ?? (i >= 6_000 && i - 6_000 < apps.length ? apps[i - 6_000] : `${pick(PREFIXES)}${pick(WORDS)}${i}`);
    const requires: string[] = [];
    if (i > 0) requires.push('libc.so.6(GLIBC_2.34)(64bit)', 'rtld(GNU_HASH)');
    if (i > 1 && r() < 0.3) requires.push('/bin/sh');
    if (i < TIER0) {
      const k = 1 + Math.floor(r() * 2);
      for (let j = 0; j < k && i > 1; j++) requires.push(soname(Math.max(1, i - 1 - Math.floor(r() * Math.min(i - 1, 40)))));
    } else if (i < TIER1) {
      for (let j = 0; j < 2 + Math.floor(r() * 3); j++) requires.push(soname(1 + Math.floor(r() * (TIER0 - 1))));
      if (r() < 0.15) requires.push(soname(TIER0 + Math.floor(r() * (i - TIER0 + 1)) - 1 >= TIER0 ? TIER0 + Math.floor(r() * (i - TIER0)) : 1));
    } else {
      for (let j = 0; j < 3 + Math.floor(r() * 4); j++) requires.push(soname(1 + Math.floor(r() * (TIER0 - 1))));
      if (r() < 0.5) requires.push(soname(TIER0 + Math.floor(r() * (TIER1 - TIER0))));
    }
    const provides = [soname(i), `${name}(x86-64)`];
    if (i === 0) provides.push('libc.so.6(GLIBC_2.34)(64bit)', 'rtld(GNU_HASH)', 'libc.so.6()(64bit)');
    if (name.startsWith('python3-')) provides.push(`python3dist(${name.slice(8)})`);
    if (name === 'httpd' || name === 'nginx') provides.push('webserver');
    if (name === 'postfix') provides.push('MTA', 'smtpdaemon');
    const p: GenPackage = {
      name,
      version: `${1 + (i % 7)}.${i % 13}.${i % 5}`,
      release: `${1 + (i % 3)}.fc41`,
      arch: i % 10 < 3 && i >= TIER0 ? 'noarch' : 'x86_64',
      provides,
      requires: [...new Set(requires)].filter((d) => d !== soname(i)),
      files: filesOf(name, i, r),
      summary: `Synthetic ${name}`,
      license: 'MIT AND (GPL-2.0-or-later OR Apache-2.0)',
    };
    if (i >= TIER1 && r() < 0.05) p.recommends = [soname(TIER0 + Math.floor(r() * (TIER1 - TIER0)))];
    if (i >= TIER1 && r() < 0.01) p.supplements = [`(${pkgs[Math.floor(r() * TIER0)]?.name ?? 'glibc'} and langpacks-en)`];
    if (i >= TIER1 && r() < 0.02) p.obsoletes = [`${name}-old < 1.0`];
    if (i >= TIER1 && r() < 0.005) p.conflicts = [`${pick(WORDS)}${Math.floor(r() * n)}`];
    pkgs.push(p);
  }
  const core = new Set<string>(Object.values(named));
  while (core.size < 200) core.add(pkgs[TIER0 + Math.floor(r() * (TIER1 - TIER0))].name);
  // Desktop groups: applications (and a few libraries) without Conflicts, so the environment stays installable.
  const groups: GenGroup[] = [{ id: 'core', packages: [...core].map((name) => ({ name, type: 'mandatory' as const })) }];
  for (const id of DESKTOP_GROUPS) {
    const members = new Set<string>();
    while (members.size < 140) {
      const q = pkgs[r() < 0.2 ? TIER0 + Math.floor(r() * (TIER1 - TIER0)) : TIER1 + Math.floor(r() * (n - TIER1))];
      if (q && !q.conflicts) members.add(q.name);
    }
    groups.push({ id, name: id.replace(/-/g, ' '), packages: [...members].map((name, k) => ({ name, type: k % 5 === 4 ? ('default' as const) : ('mandatory' as const) })) });
  }
  const environments = [{ id: 'workstation-product-environment', name: 'Fedora Workstation', groups: ['core', ...DESKTOP_GROUPS] }];
  return { packages: pkgs, groups, environments };
}

