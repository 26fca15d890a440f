/** Each blueprint customization → the stage and options upstream uses; bad values → 400 naming the field. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findArchitecture, findDistribution, findImageType } from '../../layers/src/distro/registry.ts';
import { emptyBlueprint, type Blueprint, type BlueprintCustomizations } from '../../layers/src/blueprint/blueprint.ts';
import { parseBlueprint } from '../../layers/src/blueprint/parse-blueprint.ts';
import type { Manifest, Stage } from '../../layers/src/manifest/manifest.ts';
import { ValidationError } from '../../layers/src/errors.ts';
import { generateWithFakePackages, TEST_CA, TEST_GPG_KEY } from './fixtures.ts';

function build(customizations: BlueprintCustomizations, opts: { distro?: string; type?: string; extra?: Partial<Blueprint> } = {}) {
  const distro = opts.distro ?? 'centos-9';
  const d = findDistribution(distro);
  const a = findArchitecture(d, 'x86_64');
  const t = findImageType(d, a, opts.type ?? 'guest-image');
  const blueprint: Blueprint = { ...emptyBlueprint(), ...opts.extra, customizations };
  return generateWithFakePackages(t, { distribution: distro, architecture: 'x86_64', imageType: t.name, size: 0, blueprint, seed: 'custom' });
}

const os = (m: Manifest) => m.pipelines.find((p) => p.name === 'os')!;
const stagesOf = (m: Manifest, type: string, pipeline = 'os'): Stage[] => m.pipelines.find((p) => p.name === pipeline)!.stages.filter((s) => s.type === type);
const stage = (m: Manifest, type: string, pipeline = 'os'): Stage => {
  const found = stagesOf(m, type, pipeline);
  expect(found, type).toHaveLength(1);
  return found[0];
};

function rejects(customizations: BlueprintCustomizations, field: string, opts: Parameters<typeof build>[1] = {}): ValidationError {
  try {
    build(customizations, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    const e = err as ValidationError;
    expect(e.kind).toBe('invalid');
    expect(e.field).toBe(field);
    expect(e.message).toContain(field);
    return e;
  }
  throw new Error(`expected a 400 for ${field}`);
}

describe('customizations map onto stages', () => {
  it('packages and groups are added to the os package set', () => {
    const { sets } = build({}, { extra: { packages: [{ name: 'tmux' }, { name: 'httpd', version: '2.4.62' }, { name: 'vim', version: '*' }], groups: [{ name: 'development' }] } });
    expect(sets.os.include).toEqual(expect.arrayContaining(['tmux', 'httpd-2.4.62', 'vim', '@development']));
  });

  it('a requested package is removed from the image type excludes', () => {
    const { sets } = build({}, { extra: { packages: [{ name: 'firewalld' }] } });
    expect(sets.os.exclude).not.toContain('firewalld'); // qcow2 excludes firewalld upstream
    expect(build({}).sets.os.exclude).toContain('firewalld');
  });

  it('users: password hash, key, groups, home, shell, uid/gid; plain-text passwords are SHA-512 crypted', () => {
    const { generated, sets } = build({
      user: [
        { name: 'alice', password: '$6$salt$hash', key: 'ssh-ed25519 AAAA alice', groups: ['wheel'], home: '/srv/alice', shell: '/bin/zsh', uid: 1500, gid: 1500, description: 'Alice' },
        { name: 'bob', password: 'hunter2' },
      ],
    });
    const users = stage(generated.manifest, 'org.osbuild.users').options!.users as Record<string, Record<string, unknown>>;
    expect(users.alice).toEqual({ uid: 1500, gid: 1500, groups: ['wheel'], description: 'Alice', home: '/srv/alice', shell: '/bin/zsh', password: '$6$salt$hash', key: 'ssh-ed25519 AAAA alice' });
    expect(users.bob.password).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(sets.os.include).toEqual(expect.arrayContaining(['shadow-utils', 'pam', 'passwd']));
    expect(sets.build.include).toContain('shadow-utils');
  });

  it('sshkey adds a key for a user', () => {
    const { generated } = build({ sshkey: [{ user: 'root', key: 'ssh-rsa AAAA root' }] });
    expect(stage(generated.manifest, 'org.osbuild.users').options).toEqual({ users: { root: { key: 'ssh-rsa AAAA root' } } });
  });

  it('groups with and without gid', () => {
    const { generated } = build({ group: [{ name: 'devs', gid: 1300 }, { name: 'ops' }] });
    expect(stage(generated.manifest, 'org.osbuild.groups').options).toEqual({ groups: { devs: { gid: 1300 }, ops: {} } });
  });

  it('hostname', () => {
    expect(stage(build({ hostname: 'db-1.example.com' }).generated.manifest, 'org.osbuild.hostname').options).toEqual({ hostname: 'db-1.example.com' });
  });

  it('timezone and NTP servers (chrony, package added)', () => {
    const { generated, sets } = build({ timezone: { timezone: 'Europe/Berlin', ntpservers: ['ntp.example.com'] } });
    expect(stage(generated.manifest, 'org.osbuild.timezone').options).toEqual({ zone: 'Europe/Berlin' });
    expect(stage(generated.manifest, 'org.osbuild.chrony').options).toEqual({ servers: [{ hostname: 'ntp.example.com' }] });
    expect(sets.os.include).toContain('chrony');
  });

  it('locale and keyboard (first language is primary)', () => {
    const { generated } = build({ locale: { languages: ['de_DE.UTF-8', 'en_US.UTF-8'], keyboard: 'de-latin1' } });
    expect(stage(generated.manifest, 'org.osbuild.locale').options).toEqual({ language: 'de_DE.UTF-8' });
    expect(stage(generated.manifest, 'org.osbuild.keymap').options).toEqual({ keymap: 'de-latin1' });
  });

  it('kernel name and extra arguments (kernel-cmdline and grub2)', () => {
    const { generated, sets } = build({ kernel: { name: 'kernel-debug', append: 'nosmt=force' } });
    expect(sets.os.include).toContain('kernel-debug');
    const cmdline = stage(generated.manifest, 'org.osbuild.kernel-cmdline').options!;
    expect(cmdline.kernel_opts).toBe('console=tty0 console=ttyS0,115200n8 net.ifnames=0 nosmt=force');
    const grub = stage(generated.manifest, 'org.osbuild.grub2').options!;
    expect(grub.kernel_opts).toBe(cmdline.kernel_opts);
    expect(grub.saved_entry).toBe('ffffffffffffffffffffffffffffffff-1.0-1.fc43.x86_64');
  });

  it('services enabled, disabled and masked follow the image defaults', () => {
    const { generated } = build({ services: { enabled: ['httpd.service'], disabled: ['kdump.service'], masked: ['telnet.socket'] } }, { type: 'aws' });
    const opts = stage(generated.manifest, 'org.osbuild.systemd').options!;
    expect(opts.enabled_services).toEqual(expect.arrayContaining(['sshd', 'cloud-init', 'httpd.service']));
    expect((opts.enabled_services as string[]).at(-1)).toBe('httpd.service');
    expect(opts.disabled_services).toEqual(['kdump.service']);
    expect(opts.masked_services).toEqual(['telnet.socket']);
  });

  it('firewall ports and services (firewalld added)', () => {
    const { generated, sets } = build({ firewall: { ports: ['22:tcp', '8000-8080:udp'], services: { enabled: ['https'], disabled: ['telnet'] } } });
    expect(stage(generated.manifest, 'org.osbuild.firewall').options).toEqual({ ports: ['22:tcp', '8000-8080:udp'], enabled_services: ['https'], disabled_services: ['telnet'] });
    expect(sets.os.include).toContain('firewalld');
  });

  it('files and directories with mode, user and group (inline sources)', () => {
    const { generated } = build({
      directories: [{ path: '/etc/app', mode: '0750', user: 'root', group: 'wheel', ensure_parents: true }, { path: '/var/lib/app' }],
      files: [{ path: '/etc/app/app.conf', data: 'a=1\n', mode: '0600', user: 1000, group: 1000 }],
    });
    const m = generated.manifest;
    expect(stage(m, 'org.osbuild.mkdir').options).toEqual({ paths: [{ path: '/etc/app', parents: true }, { path: '/var/lib/app', exist_ok: true }] });
    expect(stagesOf(m, 'org.osbuild.chmod').map((s) => s.options)).toEqual([{ items: { '/etc/app': { mode: '0750' } } }, { items: { '/etc/app/app.conf': { mode: '0600' } } }]);
    expect(stagesOf(m, 'org.osbuild.chown').map((s) => s.options)).toEqual([{ items: { '/etc/app': { user: 'root', group: 'wheel' } } }, { items: { '/etc/app/app.conf': { user: 1000, group: 1000 } } }]);
    const copy = stage(m, 'org.osbuild.copy');
    const checksum = `sha256:${createHash('sha256').update('a=1\n').digest('hex')}`;
    expect(copy.options).toEqual({ paths: [{ from: `input://file-${checksum.slice(7)}/${checksum}`, to: 'tree:///etc/app/app.conf', remove_destination: true }] });
    expect((m.sources!['org.osbuild.inline'].items as Record<string, { data: string }>)[checksum].data).toBe(Buffer.from('a=1\n').toString('base64'));
    // directories come before files, both before the systemd stage (units from files can be enabled)
    const types = os(m).stages.map((s) => s.type);
    expect(types.indexOf('org.osbuild.mkdir')).toBeLessThan(types.indexOf('org.osbuild.copy'));
    expect(types.indexOf('org.osbuild.copy')).toBeLessThan(types.indexOf('org.osbuild.systemd'));
  });

  it('filesystem grows existing mountpoints and adds new ones on LVM (auto-lvm default)', () => {
    const { generated } = build({ filesystem: [{ mountpoint: '/', minsize: '20 GiB' }, { mountpoint: '/var/log', minsize: '5GiB' }] });
    const m = generated.manifest;
    const lvs = stage(m, 'org.osbuild.lvm2.create', 'image').options!.volumes;
    expect(lvs).toEqual([{ name: 'rootlv', size: `${20 * 1024 ** 3}B` }, { name: 'var_loglv', size: `${5 * 1024 ** 3}B` }]);
    const fstab = stage(m, 'org.osbuild.fstab').options!.filesystems as { path: string }[];
    expect(fstab.map((f) => f.path)).toEqual(['/', '/boot', '/var/log', '/boot/efi']);
    expect(Number(stage(m, 'org.osbuild.truncate', 'image').options!.size)).toBeGreaterThan(25 * 1024 ** 3);
  });

  it('partitioning_mode raw keeps plain partitions', () => {
    const { generated } = build({ partitioning_mode: 'raw', filesystem: [{ mountpoint: '/data', minsize: 2 * 1024 ** 3 }] });
    expect(stagesOf(generated.manifest, 'org.osbuild.lvm2.create', 'image')).toHaveLength(0);
    const parts = stage(generated.manifest, 'org.osbuild.sfdisk', 'image').options!.partitions as { size: number }[];
    expect(parts).toHaveLength(5); // BIOS boot, ESP, /boot, root + /data as a plain partition
    expect(parts.some((p) => p.size === (2 * 1024 ** 3) / 512)).toBe(true);
  });

  it('partitioning_mode lvm converts the root even without new mountpoints', () => {
    const { generated } = build({ partitioning_mode: 'lvm' });
    expect(stage(generated.manifest, 'org.osbuild.lvm2.create', 'image').options!.volumes).toEqual([{ name: 'rootlv', size: `${3 * 1024 ** 3}B` }]);
  });

  it('custom repositories: install_from repos are depsolve-only, others are written to /etc/yum.repos.d with their key', () => {
    const { generated, sets } = build({
      repositories: [
        { id: 'extra', baseurls: ['https://repo.example.com/extra/'], gpgkeys: [TEST_GPG_KEY], gpgcheck: true, filename: 'extra.repo' },
        { id: 'build-only', baseurls: ['https://repo.example.com/bo/'], install_from: true },
      ],
    });
    expect(sets.os.repositories.map((r) => r.id)).toContain('build-only');
    expect(sets.os.repositories.map((r) => r.id)).not.toContain('extra');
    expect(stage(generated.manifest, 'org.osbuild.yum.repos').options).toEqual({
      filename: 'extra.repo',
      repos: [{ id: 'extra', baseurl: ['https://repo.example.com/extra/'], gpgkey: ['file:///etc/pki/rpm-gpg/RPM-GPG-KEY-extra-0'], enabled: true, gpgcheck: true }],
    });
    expect((stage(generated.manifest, 'org.osbuild.copy').options!.paths as { to: string }[])[0].to).toBe('tree:///etc/pki/rpm-gpg/RPM-GPG-KEY-extra-0');
  });

  it('FIPS: kernel argument, dracut module, crypto policy and /etc/system-fips', () => {
    const { generated } = build({ fips: true });
    const m = generated.manifest;
    expect(stage(m, 'org.osbuild.kernel-cmdline').options!.kernel_opts).toContain('fips=1');
    expect(stage(m, 'org.osbuild.dracut').options!.add_modules).toEqual(['fips']);
    expect(stage(m, 'org.osbuild.update-crypto-policies').options).toEqual({ policy: 'FIPS' });
  });

  it('CA certificates are installed and the trust store updated', () => {
    const m = build({ cacerts: { pem_certs: [TEST_CA] } }).generated.manifest;
    expect(stage(m, 'org.osbuild.pki.update-ca-trust')).toBeDefined();
    expect((stage(m, 'org.osbuild.copy').options!.paths as { to: string }[])[0].to).toMatch(/^tree:\/\/\/etc\/pki\/ca-trust\/source\/anchors\/.+\.pem$/);
  });
});

/** Values osbuild-composer and osbuild/images accept, which real blueprints use (each was refused here once). */
describe('accepted as upstream accepts them', () => {
  const users = (c: BlueprintCustomizations) => stage(build(c).generated.manifest, 'org.osbuild.users').options!.users as Record<string, Record<string, unknown>>;

  it('a user without password and key (a locked account, often only uid/gid/groups)', () => {
    expect(users({ user: [{ name: 'user3', uid: 1060, gid: 1060 }], group: [{ name: 'user3', gid: 1060 }] }).user3).toEqual({ uid: 1060, gid: 1060 });
  });
  it('a home directory with a trailing "/" (dropped, as osbuild/blueprint does), and an empty password (none)', () => {
    const { blueprint } = parseBlueprint('[[customizations.user]]\nname = "widget"\nhome = "/srv/widget/"\npassword = ""\nshell = "/usr/bin/false"\n');
    expect(users(blueprint.customizations).widget).toEqual({ home: '/srv/widget', shell: '/usr/bin/false' });
  });
  it('user names up to 256 characters and group names with "." (the osbuild stages\' patterns)', () => {
    const long = `u${'x'.repeat(40)}`;
    const u = users({ user: [{ name: long, groups: ['my.group'] }], group: [{ name: 'my.group' }] });
    expect(u[long]).toEqual({ groups: ['my.group'] });
  });
  it('a plain-text password with ":" (it is hashed)', () => {
    expect(users({ user: [{ name: 'a', password: 'pass:word' }] }).a.password).toMatch(/^\$6\$/);
  });
  it('firewall ports by service name with "_" (the osbuild firewall stage pattern)', () => {
    expect(stage(build({ firewall: { ports: ['snmp_trap:udp', '42-48:tcp'] } }).generated.manifest, 'org.osbuild.firewall').options!.ports).toEqual(['snmp_trap:udp', '42-48:tcp']);
  });
  it('an empty partitioning_mode (the default) and empty lists of options the image type does not support', () => {
    expect(() => build({ partitioning_mode: '' as never })).not.toThrow();
    expect(() => build({ filesystem: [] }, { type: 'container' })).not.toThrow();
  });
  it('a repository filename without ".repo" (appended) and a GPG key at an ftp:// URL', () => {
    const { blueprint } = parseBlueprint('[[customizations.repositories]]\nid = "extra"\nfilename = "extra"\nbaseurls = ["https://repo.example.com/"]\ngpgkeys = ["ftp://repo.example.com/KEY"]\ngpgcheck = true\n');
    const repos = stage(build(blueprint.customizations).generated.manifest, 'org.osbuild.yum.repos').options!;
    expect(repos.filename).toBe('extra.repo');
    expect((repos.repos as { gpgkey: string[] }[])[0].gpgkey).toEqual(['ftp://repo.example.com/KEY']);
  });
  it('sizes with a decimal part ("1.5 GiB", as osbuild/images datasizes reads them)', () => {
    const lvs = stage(build({ filesystem: [{ mountpoint: '/var/log', minsize: '1.5 GiB' }] }).generated.manifest, 'org.osbuild.lvm2.create', 'image').options!.volumes;
    expect(lvs).toContainEqual({ name: 'var_loglv', size: `${1.5 * 1024 ** 3}B` });
  });
  it('the filesystem `size` key, the older name of `minsize`', () => {
    const { blueprint } = parseBlueprint('[[customizations.filesystem]]\nmountpoint = "/var/log"\nsize = "2 GiB"\n');
    expect(blueprint.customizations.filesystem).toEqual([{ mountpoint: '/var/log', minsize: '2 GiB' }]);
    expect(() => parseBlueprint('[[customizations.filesystem]]\nmountpoint = "/a"\nsize = 1\nminsize = 1\n')).toThrow(/size and minsize cannot both be set/);
  });
});

describe('bad values are rejected with a 400 naming the field', () => {
  it('as upstream does: two groups with one gid, a crypted password with ":", a repository id unfit for a file name', () => {
    rejects({ group: [{ name: 'a', gid: 1050 }, { name: 'b', gid: 1050 }] }, 'customizations.group[1].gid');
    rejects({ user: [{ name: 'a', password: '$6$salt$ha:sh' }] }, 'customizations.user[0].password');
    rejects({ repositories: [{ id: 'a:b', baseurls: ['https://x/'] }] }, 'customizations.repositories[0].id');
  });
  it('user names with spaces or ":"', () => {
    rejects({ user: [{ name: 'bad name', key: 'ssh-rsa A' }] }, 'customizations.user[0].name');
    rejects({ user: [{ name: 'ok' }, { name: 'x:y' }] }, 'customizations.user[1].name');
  });
  it('group names', () => rejects({ group: [{ name: '-bad' }] }, 'customizations.group[0].name'));
  it('relative and ".." paths', () => {
    rejects({ files: [{ path: 'etc/motd', data: 'x' }] }, 'customizations.files[0].path');
    rejects({ directories: [{ path: '/etc/../root/x' }] }, 'customizations.directories[0].path');
    rejects({ user: [{ name: 'a', home: 'home/a' }] }, 'customizations.user[0].home');
  });
  it('files under protected paths', () => {
    for (const path of ['/etc/shadow', '/etc/passwd', '/etc/fstab', '/boot/grub2/grub.cfg', '/usr/bin/evil']) {
      rejects({ files: [{ path, data: 'x' }] }, 'customizations.files[0].path');
    }
    rejects({ directories: [{ path: '/proc/x' }] }, 'customizations.directories[0].path');
  });
  it('mountpoints outside the allowed list', () => {
    for (const mountpoint of ['/etc', '/usr/local', '/proc', '/var/run', 'relative']) {
      rejects({ filesystem: [{ mountpoint, minsize: '1 GiB' }] }, 'customizations.filesystem[0].mountpoint');
    }
  });
  it('sizes that overflow or are not sizes', () => {
    rejects({ filesystem: [{ mountpoint: '/var', minsize: '99999999999 TiB' }] }, 'customizations.filesystem[0].minsize');
    rejects({ filesystem: [{ mountpoint: '/var', minsize: 2 ** 60 }] }, 'customizations.filesystem[0].minsize');
    rejects({ filesystem: [{ mountpoint: '/var', minsize: '12 parsecs' }] }, 'customizations.filesystem[0].minsize');
  });
  it('host names that are not RFC 1123', () => {
    for (const hostname of ['-leading', 'under_score', 'a'.repeat(64), 'bad..dots', 'spaces here']) rejects({ hostname }, 'customizations.hostname');
  });
  it('modes, ports, services, time zones, locales', () => {
    rejects({ files: [{ path: '/etc/x', mode: '999' }] }, 'customizations.files[0].mode');
    rejects({ firewall: { ports: ['80'] } }, 'customizations.firewall.ports[0]');
    rejects({ firewall: { ports: ['99999:tcp'] } }, 'customizations.firewall.ports[0]');
    rejects({ services: { enabled: ['bad service'] } }, 'customizations.services.enabled[0]');
    rejects({ timezone: { timezone: '../../etc' } }, 'customizations.timezone.timezone');
    rejects({ locale: { languages: ['not a locale'] } }, 'customizations.locale.languages[0]');
  });
  it('partitioning mode', () => {
    rejects({ partitioning_mode: 'btrfs' as never }, 'customizations.partitioning_mode');
    rejects({ partitioning_mode: 'raw' }, 'customizations.partitioning_mode', { distro: 'centos-10', type: 'oci' });
  });
  it('customizations the image type does not support', () => {
    rejects({ filesystem: [{ mountpoint: '/var', minsize: '1 GiB' }] }, 'customizations.filesystem', { type: 'container' });
    rejects({ kernel: { append: 'x' } }, 'customizations.kernel.append', { type: 'tar' });
    rejects({ fips: true }, 'customizations.fips', { type: 'wsl' });
  });
  it('customizations not implemented by this service', () => {
    rejects({ disk: { partitions: [] } }, 'customizations.disk');
    rejects({ openscap: { profile_id: 'xccdf_org.ssgproject.content_profile_cis' } }, 'customizations.openscap');
  });
  it('repositories without a URL or with gpgcheck but no key', () => {
    rejects({ repositories: [{ id: 'r' }] }, 'customizations.repositories[0]');
    rejects({ repositories: [{ id: 'r', baseurls: ['https://x/'], gpgcheck: true }] }, 'customizations.repositories[0].gpgkeys');
  });
});

describe('field names follow the request style', () => {
  it('names API fields for API requests', () => {
    const d = findDistribution('centos-9');
    const t = findImageType(d, findArchitecture(d, 'x86_64'), 'guest-image');
    const request = { distribution: 'centos-9', architecture: 'x86_64', imageType: 'guest-image', size: 0, seed: 's', fieldStyle: 'api' as const };
    const field = (blueprint: Blueprint) => {
      try {
        t.validate({ ...request, blueprint });
      } catch (e) {
        return (e as ValidationError).field;
      }
    };
    expect(field({ ...emptyBlueprint(), customizations: { user: [{ name: 'a b' }] } })).toBe('customizations.users[0].name');
    expect(field({ ...emptyBlueprint(), customizations: { filesystem: [{ mountpoint: '/var', minsize: 'big' }] } })).toBe('customizations.filesystem[0].min_size');
  });
});
