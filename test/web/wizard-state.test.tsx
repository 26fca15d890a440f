// @vitest-environment happy-dom
/** The wizard's state, checks and API mapping, without a browser or a server. */
import { describe, expect, it } from 'vitest';
import { initialWizardState, wizardReducer, type WizardState } from '../../web/src/wizard/wizard-state.ts';
import { stepOfField, validateStep, wizardFieldOf } from '../../web/src/wizard/wizard-validation.ts';
import { FIRST_BOOT_SCRIPT, FIRST_BOOT_SERVICE, fromBlueprint, toBlueprintRequest, toComposeRequest } from '../../web/src/wizard/wizard-request.ts';

const base = (): WizardState => ({ ...initialWizardState(), distribution: 'test-distro-1', imageType: 'tar' });

describe('wizard state', () => {
  it('adds a package once and removes it; list items are added, edited and removed by index', () => {
    let s = wizardReducer(base(), { type: 'addPackage', name: ' vim ' });
    s = wizardReducer(s, { type: 'addPackage', name: 'vim' });
    expect(s.packages).toEqual(['vim']);
    s = wizardReducer(s, { type: 'removePackage', name: 'vim' });
    expect(s.packages).toEqual([]);
    s = wizardReducer(s, { type: 'add', list: 'users' });
    s = wizardReducer(s, { type: 'add', list: 'users' });
    s = wizardReducer(s, { type: 'update', list: 'users', index: 1, patch: { name: 'second' } });
    s = wizardReducer(s, { type: 'remove', list: 'users', index: 0 });
    expect(s.users.map((u) => u.name)).toEqual(['second']);
  });

  it('checks each step: output choices, names, keys, paths, sizes, modes, ports', () => {
    expect(validateStep(initialWizardState(), 'output')).toMatchObject({ distribution: expect.any(String), imageType: expect.any(String) });
    expect(validateStep(base(), 'output', 'blueprint')).toHaveProperty('name');
    expect(validateStep(base(), 'output', 'image')).toEqual({});
    const s: WizardState = {
      ...base(),
      hostname: 'bad host!',
      firewallPorts: '22:tcp, nonsense',
      users: [{ name: 'Admin', password: '', sshKey: 'not a key', groups: 'wheel' }],
      filesystems: [{ mountpoint: 'var', size: '0', unit: 'GiB' }],
      files: [{ path: '/etc/../shadow', mode: '999', user: '', group: '', data: '' }],
    };
    expect(Object.keys(validateStep(s, 'review')).sort()).toEqual(
      ['filesystems.0.mountpoint', 'filesystems.0.size', 'files.0.mode', 'files.0.path', 'firewallPorts', 'hostname', 'users.0.name', 'users.0.sshKey'].sort(),
    );
    const fixed: WizardState = {
      ...s,
      hostname: 'web-01.example.com',
      firewallPorts: '22:tcp, 8000-8080:udp, http:tcp',
      users: [{ name: 'admin', password: '', sshKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake me@host', groups: 'wheel' }],
      filesystems: [{ mountpoint: '/var', size: '2.5', unit: 'GiB' }],
      files: [{ path: '/etc/motd', mode: '0644', user: '', group: '', data: '' }],
    };
    expect(validateStep(fixed, 'review')).toEqual({});
  });

  it('places API error paths at wizard fields and their steps', () => {
    expect(wizardFieldOf('customizations.files[0].path')).toBe('files.0.path');
    expect(wizardFieldOf('customizations.users[2].ssh_key')).toBe('users.2.sshKey');
    expect(wizardFieldOf('customizations.user')).toBe('users');
    expect(wizardFieldOf('customizations.filesystem[1].min_size')).toBe('filesystems.1.size');
    expect(wizardFieldOf('/customizations/hostname')).toBe('hostname');
    expect(wizardFieldOf('image_requests[0].image_type')).toBe('imageType');
    expect(wizardFieldOf('customizations.timezone.ntpservers')).toBe('ntpServers');
    expect(wizardFieldOf('image_requests[0].upload_request.options.share_with_accounts[1]')).toBe('awsAccounts');
    expect(wizardFieldOf('image_requests[0].upload_request.options.regions')).toBe('awsRegion');
    expect(wizardFieldOf('something.else')).toBeUndefined();
    expect(stepOfField('files.0.path')).toBe('files');
    expect(stepOfField('users.0.name')).toBe('users');
    expect(stepOfField('imageType')).toBe('output');
    expect(stepOfField('hostname')).toBe('system');
  });

  it('builds the compose request (sizes in bytes, first boot as a unit and a script) and reads a blueprint back to the same state', () => {
    const s: WizardState = {
      ...base(),
      name: 'web',
      packages: ['vim', '@core'],
      users: [{ name: 'admin', password: 'pw', sshKey: '', groups: 'wheel, adm' }],
      groups: [{ name: 'ops', gid: '1500' }],
      hostname: 'web01',
      timezone: 'Europe/Berlin',
      ntpServers: 'ntp1, ntp2',
      languages: 'en_US.UTF-8',
      keyboard: 'us',
      kernelAppend: 'nosmt=force',
      fips: true,
      servicesEnabled: 'sshd',
      firewallPorts: '22:tcp',
      firewallEnabled: 'http',
      filesystems: [{ mountpoint: '/var', size: '2', unit: 'GiB' }],
      files: [{ path: '/etc/motd', mode: '0644', user: 'root', group: '0', data: 'hi\n' }],
      directories: [{ path: '/srv/data', mode: '', user: '', group: '' }],
      firstBoot: '#!/bin/sh\necho first\n',
    };
    const request = toComposeRequest(s);
    expect(request).toMatchObject({ distribution: 'test-distro-1', image_name: 'web', client_id: 'ui', image_requests: [{ architecture: 'x86_64', image_type: 'tar', upload_request: { type: 'aws.s3' } }] });
    const c = request.customizations!;
    expect(c.filesystem).toEqual([{ mountpoint: '/var', min_size: 2 * 2 ** 30 }]);
    expect(c.users).toEqual([{ name: 'admin', password: 'pw', groups: ['wheel', 'adm'] }]);
    expect(c.groups).toEqual([{ name: 'ops', gid: 1500 }]);
    expect(c.timezone).toEqual({ timezone: 'Europe/Berlin', ntpservers: ['ntp1', 'ntp2'] });
    expect(c.services?.enabled).toEqual(['sshd', FIRST_BOOT_SERVICE]);
    expect(c.files?.find((f) => f.path === FIRST_BOOT_SCRIPT)).toMatchObject({ data: s.firstBoot, mode: '0774' });
    expect(c.files?.[0]).toEqual({ path: '/etc/motd', mode: '0644', user: 'root', group: 0, data: 'hi\n' });
    expect(c.fips).toEqual({ enabled: true });

    const back = fromBlueprint({ ...toBlueprintRequest(s), id: 'x', lint: { errors: [], warnings: [] }, description: '' } as never);
    // The password never comes back; a stored one is marked instead.
    expect(back).toEqual({ ...s, users: [{ ...s.users[0], password: '', hasPassword: true }] });
    expect(toBlueprintRequest(back).customizations.users).toEqual([{ name: 'admin', hasPassword: true, groups: ['wheel', 'adm'] }]);
  });

  it('asks for an AMI shared with the accounts and copied to the regions typed, and reads them back', () => {
    const s: WizardState = { ...base(), imageType: 'ami', uploadTarget: 'aws', awsAccounts: '123456789012, 210987654321', awsRegion: 'eu-west-1' };
    expect(validateStep(s, 'output')).toEqual({});
    expect(validateStep({ ...s, awsAccounts: '12345' }, 'output')).toHaveProperty('awsAccounts');
    const request = toComposeRequest(s).image_requests[0];
    expect(request.upload_request).toEqual({ type: 'aws', options: { share_with_accounts: ['123456789012', '210987654321'], regions: ['eu-west-1'] } });
    const back = fromBlueprint({ name: 'x', description: '', image_requests: [request], customizations: {} });
    expect(back).toMatchObject({ uploadTarget: 'aws', awsAccounts: '123456789012, 210987654321', awsRegion: 'eu-west-1' });
  });
});
