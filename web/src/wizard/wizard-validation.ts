/**
 * What the wizard checks before it asks the API (so mistakes show at the field at once), and where the API's own
 * complaints ("customizations.files[0].path: ...") belong: field keys like `files.0.path` and the step that shows them.
 */
import { splitList, type WizardState } from './wizard-state.ts';

export type FieldErrors = Record<string, string>;

export const STEP_IDS = ['output', 'packages', 'users', 'system', 'filesystem', 'files', 'first-boot', 'review'] as const;
export type StepId = (typeof STEP_IDS)[number];

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const USER_NAME = /^[a-z_][a-z0-9_-]*\$?$/;
const SSH_KEY = /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/;
const MODE = /^0?[0-7]{3,4}$/;
const PORT = /^(\d{1,5}(-\d{1,5})?|[a-z][a-z0-9-]*):(tcp|udp|sctp|dccp|any)$/;
const ABSOLUTE = /^\/(?!.*\/\.\.?(\/|$))[^\0]*$/;

/** Client-side checks of one step (all steps for 'review'). */
export function validateStep(state: WizardState, step: StepId, mode: 'image' | 'blueprint' = 'image'): FieldErrors {
  const errors: FieldErrors = {};
  const check = (key: string, bad: boolean, message: string) => {
    if (bad && !errors[key]) errors[key] = message;
  };
  const all = step === 'review';
  if (all || step === 'output') {
    if (mode === 'blueprint') check('name', !state.name.trim(), 'A blueprint needs a name');
    check('name', state.name.length > 100, 'At most 100 characters');
    check('description', state.description.length > 250, 'At most 250 characters');
    check('distribution', !state.distribution, 'Choose a distribution');
    check('architecture', !state.architecture, 'Choose an architecture');
    check('imageType', !state.imageType, 'Choose an image type');
    if (state.uploadTarget === 'aws') {
      check('awsAccounts', splitList(state.awsAccounts).some((a) => !/^\d{12}$/.test(a)), 'AWS account ids are 12 digits');
      check('awsRegion', splitList(state.awsRegion).some((r) => !/^[a-z]{2}(-[a-z]+)+-\d$/.test(r)), 'Regions like eu-west-1, separated by commas');
    }
  }
  if (all || step === 'users') {
    const names = new Set<string>();
    state.users.forEach((u, i) => {
      check(`users.${i}.name`, !USER_NAME.test(u.name), 'Lower-case letters, digits, "_" and "-", starting with a letter or "_"');
      check(`users.${i}.name`, names.has(u.name), 'Another user has this name');
      names.add(u.name);
      check(`users.${i}.sshKey`, !!u.sshKey.trim() && !SSH_KEY.test(u.sshKey.trim()), 'Not an OpenSSH public key (e.g. "ssh-ed25519 AAAA... me@host")');
      check(`users.${i}.groups`, splitList(u.groups).some((g) => !USER_NAME.test(g)), 'Group names are like user names');
    });
    state.groups.forEach((g, i) => {
      check(`groups.${i}.name`, !USER_NAME.test(g.name), 'Lower-case letters, digits, "_" and "-", starting with a letter or "_"');
      check(`groups.${i}.gid`, !!g.gid && !/^\d+$/.test(g.gid), 'A number');
    });
  }
  if (all || step === 'system') {
    check('hostname', !!state.hostname && !HOSTNAME.test(state.hostname), 'Letters, digits and "-", dot-separated labels of at most 63 characters');
    check('firewallPorts', splitList(state.firewallPorts).some((p) => !PORT.test(p)), 'Ports like 22:tcp, 8000-8080:udp or http:tcp');
    check('timezone', !!state.timezone && !/^[A-Za-z0-9_+\-/]+$/.test(state.timezone), 'A time zone like Europe/Berlin or UTC');
  }
  if (all || step === 'filesystem') {
    const mounts = new Set<string>();
    state.filesystems.forEach((f, i) => {
      check(`filesystems.${i}.mountpoint`, !ABSOLUTE.test(f.mountpoint), 'An absolute path like /var');
      check(`filesystems.${i}.mountpoint`, mounts.has(f.mountpoint), 'Another filesystem has this mount point');
      mounts.add(f.mountpoint);
      check(`filesystems.${i}.size`, !/^\d+(\.\d+)?$/.test(f.size) || Number(f.size) <= 0, 'A size above 0');
    });
  }
  if (all || step === 'files') {
    state.files.forEach((f, i) => {
      check(`files.${i}.path`, !ABSOLUTE.test(f.path), 'An absolute path like /etc/motd');
      check(`files.${i}.mode`, !!f.mode && !MODE.test(f.mode), 'An octal mode like 0644');
    });
    state.directories.forEach((d, i) => {
      check(`directories.${i}.path`, !ABSOLUTE.test(d.path), 'An absolute path like /srv/data');
      check(`directories.${i}.mode`, !!d.mode && !MODE.test(d.mode), 'An octal mode like 0755');
    });
  }
  return errors;
}

/** API field paths (dotted, with [i]) → the wizard's field keys. */
const API_FIELDS: [RegExp, string][] = [
  [/^image_name$/, 'name'],
  [/^(image_description|description)$/, 'description'],
  [/^distribution$/, 'distribution'],
  [/^image_requests(\.0|\[0\])?\.architecture$/, 'architecture'],
  [/^image_requests(\.0|\[0\])?\.image_type$/, 'imageType'],
  [/^image_requests(\.0|\[0\])?\.upload_request\.options\.share_with_accounts.*$/, 'awsAccounts'],
  [/^image_requests(\.0|\[0\])?\.upload_request\.options\.regions.*$/, 'awsRegion'],
  [/^image_requests(\.0|\[0\])?\.upload_request.*$/, 'uploadTarget'],
  [/^customizations\.filesystem\[(\d+)\]\.min_size$/, 'filesystems.$1.size'],
  [/^customizations\.filesystem\[(\d+)\]\.(\w+)$/, 'filesystems.$1.$2'],
  [/^customizations\.filesystem.*$/, 'filesystems'],
  [/^customizations\.users?\[(\d+)\]\.ssh_key$/, 'users.$1.sshKey'],
  [/^customizations\.users?\[(\d+)\]\.(\w+)$/, 'users.$1.$2'],
  [/^customizations\.users?$/, 'users'],
  [/^customizations\.groups?\[(\d+)\]\.(\w+)$/, 'groups.$1.$2'],
  [/^customizations\.groups?$/, 'groups'],
  [/^customizations\.(files|directories)\[(\d+)\]\.(\w+)$/, '$1.$2.$3'],
  [/^customizations\.(files|directories)$/, '$1'],
  [/^customizations\.packages.*$/, 'packages'],
  [/^customizations\.hostname$/, 'hostname'],
  [/^customizations\.timezone\.ntpservers.*$/, 'ntpServers'],
  [/^customizations\.timezone.*$/, 'timezone'],
  [/^customizations\.locale\.keyboard$/, 'keyboard'],
  [/^customizations\.locale.*$/, 'languages'],
  [/^customizations\.kernel\.name$/, 'kernelName'],
  [/^customizations\.kernel.*$/, 'kernelAppend'],
  [/^customizations\.fips.*$/, 'fips'],
  [/^customizations\.services\.disabled.*$/, 'servicesDisabled'],
  [/^customizations\.services\.masked.*$/, 'servicesMasked'],
  [/^customizations\.services.*$/, 'servicesEnabled'],
  [/^customizations\.firewall\.services\.disabled.*$/, 'firewallDisabled'],
  [/^customizations\.firewall\.services.*$/, 'firewallEnabled'],
  [/^customizations\.firewall.*$/, 'firewallPorts'],
];

/** The wizard field an API error path names, or undefined (then the error shows above the wizard). */
export function wizardFieldOf(apiPath: string): string | undefined {
  const path = apiPath.replace(/^\//, '').replace(/\//g, '.');
  for (const [pattern, key] of API_FIELDS) if (pattern.test(path)) return path.replace(pattern, key);
  return undefined;
}

/** The step showing a field key. */
export function stepOfField(key: string): StepId {
  const head = key.split('.')[0];
  if (['name', 'description', 'distribution', 'architecture', 'imageType', 'uploadTarget', 'awsAccounts', 'awsRegion'].includes(head)) return 'output';
  if (head === 'packages') return 'packages';
  if (head === 'users' || head === 'groups') return 'users';
  if (head === 'filesystems') return 'filesystem';
  if (head === 'files' || head === 'directories') return 'files';
  if (head === 'firstBoot') return 'first-boot';
  return 'system';
}
