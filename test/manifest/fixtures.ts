/** Test fixtures: synthetic depsolve results and blueprints exercising every customization. */
import { createHash } from 'node:crypto';
import type { Blueprint } from '../../layers/src/blueprint/blueprint.ts';
import type { ImageType, ManifestRequest } from '../../layers/src/distro/distribution.ts';
import type { PackageSetRequest, ResolvedPackage } from '../../layers/src/packages/package-set.ts';

/** A depsolve stand-in: one package per requested name (groups skipped), checksums derived from the name. */
export function fakeResolve(set: PackageSetRequest, arch: string): ResolvedPackage[] {
  return set.include
    .filter((n) => !n.startsWith('@'))
    .map((name) => ({
      name,
      epoch: 0,
      version: '1.0',
      release: '1.fc43',
      arch: name.startsWith('kernel') ? arch : 'noarch',
      checksum: `sha256:${createHash('sha256').update(`${name}-${arch}`).digest('hex')}`,
      remoteLocation: `https://repo.example.com/${arch}/${name}-1.0-1.noarch.rpm`,
      repoId: set.repositories[0]?.id ?? 'none',
      checkGpg: Boolean(set.repositories[0]?.checkGpg),
    }));
}

/** The two phases with a fake depsolve: prepare once → package sets → fake resolve → generate. */
export function generateWithFakePackages(type: ImageType, request: ManifestRequest) {
  const prepared = type.prepare(request);
  const sets = type.packageSets(prepared);
  const packages = Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, fakeResolve(v, request.architecture)]));
  return { prepared, sets, packages, generated: type.generate(prepared, packages) };
}

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN1YdxBpNlzxDqfJyw/QKow1F+wvG9hXGoqiysfJOn5Y test@example.com';
const HASH = '$6$BhyxFBgrEFh0VrPJ$MllG8auiU26x2pmzL4.1maHzPHrA.4gTdCvlATFp8HJU9UPee4zCS9BVl2HOzKaUYD/zEm8r/OF05F2icWB0K/';
export const TEST_CA = `-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUJ4lK+JfdJCNgcEVxZDinJfKKbQswCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----`;
export const TEST_GPG_KEY = `-----BEGIN PGP PUBLIC KEY BLOCK-----

mQGiBGRBSJURBACzCoe9UNfxOUiFLq9b60weSBFdr39mLViscecDWATNvXtgRoK/
=DQ3i
-----END PGP PUBLIC KEY BLOCK-----
`;

/** Every customization this service maps onto stages. */
export function fullBlueprint(): Blueprint {
  return {
    name: 'everything',
    packages: [{ name: 'tmux', version: '*' }, { name: 'httpd' }],
    groups: [{ name: 'development-tools' }],
    customizations: {
      hostname: 'web-1.example.com',
      kernel: { append: 'debug nosmt=force' },
      user: [
        { name: 'alice', key: KEY, password: HASH, groups: ['wheel', 'devs'], uid: 1200, gid: 1200, home: '/home/alice', shell: '/bin/bash', description: 'Alice' },
        { name: 'bob', password: 'plain-secret' },
      ],
      group: [{ name: 'devs', gid: 1300 }, { name: 'ops' }],
      timezone: { timezone: 'Europe/Berlin', ntpservers: ['0.pool.ntp.org', 'time.example.com'] },
      locale: { languages: ['de_DE.UTF-8', 'en_US.UTF-8'], keyboard: 'de' },
      services: { enabled: ['httpd.service'], disabled: ['kdump.service'], masked: ['telnet.socket'] },
      firewall: { ports: ['80:tcp', '8000-8080:udp'], services: { enabled: ['https'], disabled: ['telnet'] } },
      directories: [
        { path: '/etc/myapp', mode: '0750', user: 'root', group: 'root', ensure_parents: true },
        { path: '/var/lib/myapp' },
      ],
      files: [
        { path: '/etc/myapp/config.toml', data: 'port = 80\n', mode: '0640', user: 'root', group: 0 },
        { path: '/etc/motd', data: 'hello\n' },
      ],
      filesystem: [
        { mountpoint: '/var', minsize: '4 GiB' },
        { mountpoint: '/home', minsize: 2147483648 },
      ],
      repositories: [
        { id: 'myrepo', name: 'My repo', baseurls: ['https://repo.example.com/el/'], gpgkeys: [TEST_GPG_KEY], gpgcheck: true },
        { id: 'install-only', baseurls: ['https://mirror.example.com/extra/'], install_from: true },
      ],
      fips: true,
      cacerts: { pem_certs: [TEST_CA] },
    },
  };
}

/** Only the parts of a blueprint an image type accepts (its upstream supported_options). */
export function restrictBlueprint(bp: Blueprint, supported: readonly string[]): Blueprint {
  const ok = (o: string) => supported.some((s) => o === s || o.startsWith(`${s}.`));
  const customizations = Object.fromEntries(
    Object.entries(bp.customizations).filter(([k, v]) => {
      if (k === 'kernel' && v && typeof v === 'object') return Object.keys(v).every((sub) => ok(`customizations.kernel.${sub}`));
      return ok(`customizations.${k}`);
    }),
  );
  return {
    ...bp,
    packages: ok('packages') ? bp.packages : [],
    groups: ok('groups') ? bp.groups : [],
    customizations,
  };
}
