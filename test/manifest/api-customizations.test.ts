import { describe, expect, it } from 'vitest';
import { blueprintFromApiCustomizations } from '../../layers/src/blueprint/from-api-customizations.ts';
import { ValidationError } from '../../layers/src/errors.ts';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.field;
    throw e;
  }
  return undefined;
};

describe('API customizations → blueprint', () => {
  it('converts every mapped field to the blueprint shape', () => {
    const bp = blueprintFromApiCustomizations({
      packages: ['tmux', '@development'],
      users: [{ name: 'alice', ssh_key: 'ssh-ed25519 AAAA', groups: ['wheel'], password: '$6$x$y' }],
      groups: [{ name: 'devs', gid: 1300 }],
      hostname: 'h1',
      kernel: { name: 'kernel-debug', append: 'quiet' },
      timezone: { timezone: 'UTC', ntpservers: ['ntp.example.com'] },
      locale: { languages: ['en_US.UTF-8'], keyboard: 'us' },
      firewall: { ports: ['22:tcp'], services: { enabled: ['ssh'] } },
      services: { enabled: ['sshd'], masked: ['telnet'] },
      filesystem: [{ mountpoint: '/var', min_size: 2147483648 }],
      partitioning_mode: 'lvm',
      fips: { enabled: true },
      files: [{ path: '/etc/a/b.conf', data: Buffer.from('hello').toString('base64'), data_encoding: 'base64', mode: '0644', ensure_parents: true }],
      directories: [{ path: '/etc/d', user: 'root', group: 0 }],
      custom_repositories: [{ id: 'c', baseurl: ['https://c/'], gpgkey: ['k'], check_gpg: true, filename: 'c.repo' }],
      payload_repositories: [{ baseurl: 'https://p/', rhsm: false, check_gpg: false }],
      cacerts: { pem_certs: ['-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----'] },
    });
    expect(bp.packages).toEqual([{ name: 'tmux' }]);
    expect(bp.groups).toEqual([{ name: 'development' }]);
    const c = bp.customizations;
    expect(c.user).toEqual([{ name: 'alice', groups: ['wheel'], key: 'ssh-ed25519 AAAA', password: '$6$x$y' }]);
    expect(c.group).toEqual([{ name: 'devs', gid: 1300 }]);
    expect(c.filesystem).toEqual([{ mountpoint: '/var', minsize: 2147483648 }]);
    expect(c.fips).toBe(true);
    expect(c.files).toEqual([{ path: '/etc/a/b.conf', mode: '0644', data: new Uint8Array(Buffer.from('hello')) }]); // base64 data stays bytes
    expect(c.directories).toEqual([{ path: '/etc/d', user: 'root', group: 0 }, { path: '/etc/a', ensure_parents: true }]);
    expect(c.repositories).toEqual([
      { id: 'c', filename: 'c.repo', baseurls: ['https://c/'], gpgkeys: ['k'], gpgcheck: true },
      { id: 'payload-0', baseurls: ['https://p/'], gpgcheck: false, install_from: true },
    ]);
    expect(c.kernel).toEqual({ name: 'kernel-debug', append: 'quiet' });
    expect(c.partitioning_mode).toBe('lvm');
  });

  it('accepts no customizations', () => {
    expect(blueprintFromApiCustomizations(undefined)).toEqual({ packages: [], groups: [], customizations: {} });
  });

  it('rejects unknown and malformed fields naming them', () => {
    expect(fieldOf(() => blueprintFromApiCustomizations({ colour: 'red' }))).toBe('customizations.colour');
    expect(fieldOf(() => blueprintFromApiCustomizations({ users: [{ name: 3, ssh_key: 'k' }] }))).toBe('customizations.users[0].name');
    expect(fieldOf(() => blueprintFromApiCustomizations({ files: [{ path: '/x', data: '%%%', data_encoding: 'base64' }] }))).toBe('customizations.files[0].data');
    expect(fieldOf(() => blueprintFromApiCustomizations({ payload_repositories: [{ rhsm: false }] }))).toBe('customizations.payload_repositories[0]');
    expect(fieldOf(() => blueprintFromApiCustomizations({ subscription: {} }))).toBe('customizations.subscription');
    expect(fieldOf(() => blueprintFromApiCustomizations({ fips: { enabled: 'yes' } }))).toBe('customizations.fips.enabled');
  });
});

describe('users', () => {
  it('accepts a user without password and ssh_key (a locked account, as osbuild-composer and the hosted service do)', () => {
    const bp = blueprintFromApiCustomizations({ users: [{ name: 'svc', groups: ['wheel'] }, { name: 'locked', password: '' }] });
    expect(bp.customizations.user).toEqual([{ name: 'svc', groups: ['wheel'] }, { name: 'locked' }]);
  });

  it('drops a trailing "/" of home as osbuild/blueprint does', () => {
    expect(blueprintFromApiCustomizations({ users: [{ name: 'w', home: '/srv/widget/' }] }).customizations.user).toEqual([{ name: 'w', home: '/srv/widget' }]);
  });
});

describe('user account extensions', () => {
  it('maps uid, gid, home, shell and description onto the blueprint user', () => {
    const blueprint = blueprintFromApiCustomizations({
      users: [{ name: 'svc', ssh_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN1YdxBpNlzxDqfJyw/QKow1F+wvG9hXGoqiysfJOn5Y svc', uid: 1500, gid: 1500, home: '/srv/svc', shell: '/bin/sh', description: 'service account' }],
    });
    expect(blueprint.customizations.user).toEqual([
      expect.objectContaining({ name: 'svc', uid: 1500, gid: 1500, home: '/srv/svc', shell: '/bin/sh', description: 'service account' }),
    ]);
    expect(() => blueprintFromApiCustomizations({ users: [{ name: 'svc', password: 'x', uid: 'root' }] })).toThrow(/users\[0\]\.uid/);
  });
});
