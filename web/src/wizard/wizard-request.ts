/** Between the wizard's state and the API's bodies: compose requests, blueprints (both ways). */
import type { BlueprintResponse, ComposeRequest, CreateBlueprintRequest, Customizations, ImageRequest } from '../api/types.ts';
import { initialWizardState, splitList, type WizardState } from './wizard-state.ts';

/** The first-boot script runs once through a systemd unit, as the hosted Image Builder frontend does it. */
export const FIRST_BOOT_SERVICE = 'custom-first-boot';
export const FIRST_BOOT_SCRIPT = '/usr/local/sbin/custom-first-boot';
const FIRST_BOOT_UNIT_PATH = `/etc/systemd/system/${FIRST_BOOT_SERVICE}.service`;
const FIRST_BOOT_UNIT = `[Unit]
Description=Custom first boot script
ConditionFileIsExecutable=${FIRST_BOOT_SCRIPT}
ConditionPathExists=!/var/local/.custom-first-boot-done
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=${FIRST_BOOT_SCRIPT}
ExecStartPost=/usr/bin/touch /var/local/.custom-first-boot-done

[Install]
WantedBy=multi-user.target
`;

const nonEmpty = <T extends object>(value: T): T | undefined => (Object.values(value).some((v) => v !== undefined) ? value : undefined);
const listOrUndefined = (value: string) => {
  const items = splitList(value);
  return items.length ? items : undefined;
};
const ownerOf = (v: string) => (v === '' ? undefined : /^\d+$/.test(v) ? Number(v) : v);
const SIZE_UNITS = { MiB: 2 ** 20, GiB: 2 ** 30 } as const;

export function toCustomizations(s: WizardState): Customizations {
  const c: Customizations = {};
  if (s.packages.length) c.packages = [...s.packages];
  if (s.hostname) c.hostname = s.hostname;
  if (s.users.length)
    c.users = s.users.map((u) => ({
      name: u.name,
      ...(u.password ? { password: u.password } : u.hasPassword ? { hasPassword: true } : {}),
      ...(u.sshKey.trim() ? { ssh_key: u.sshKey.trim() } : {}),
      ...(splitList(u.groups).length ? { groups: splitList(u.groups) } : {}),
    }));
  if (s.groups.length) c.groups = s.groups.map((g) => ({ name: g.name, ...(g.gid ? { gid: Number(g.gid) } : {}) }));
  const timezone = nonEmpty({ timezone: s.timezone || undefined, ntpservers: listOrUndefined(s.ntpServers) });
  if (timezone) c.timezone = timezone;
  const locale = nonEmpty({ languages: listOrUndefined(s.languages), keyboard: s.keyboard || undefined });
  if (locale) c.locale = locale;
  const kernel = nonEmpty({ name: s.kernelName || undefined, append: s.kernelAppend || undefined });
  if (kernel) c.kernel = kernel;
  if (s.fips) c.fips = { enabled: true };
  const firstBoot = s.firstBoot.trim() !== '';
  const enabled = [...splitList(s.servicesEnabled), ...(firstBoot ? [FIRST_BOOT_SERVICE] : [])];
  const services = nonEmpty({ enabled: enabled.length ? enabled : undefined, disabled: listOrUndefined(s.servicesDisabled), masked: listOrUndefined(s.servicesMasked) });
  if (services) c.services = services;
  const firewallServices = nonEmpty({ enabled: listOrUndefined(s.firewallEnabled), disabled: listOrUndefined(s.firewallDisabled) });
  const firewall = nonEmpty({ ports: listOrUndefined(s.firewallPorts), services: firewallServices });
  if (firewall) c.firewall = firewall;
  if (s.filesystems.length) c.filesystem = s.filesystems.map((f) => ({ mountpoint: f.mountpoint, min_size: Math.round(Number(f.size) * SIZE_UNITS[f.unit]) }));
  const files = s.files.map((f) => ({
    path: f.path,
    ...(f.mode ? { mode: f.mode } : {}),
    ...(ownerOf(f.user) !== undefined ? { user: ownerOf(f.user) } : {}),
    ...(ownerOf(f.group) !== undefined ? { group: ownerOf(f.group) } : {}),
    ...(f.data ? { data: f.data } : {}),
  }));
  if (firstBoot)
    files.push({ path: FIRST_BOOT_UNIT_PATH, data: FIRST_BOOT_UNIT }, { path: FIRST_BOOT_SCRIPT, mode: '0774', data: s.firstBoot, ensure_parents: true } as (typeof files)[number]);
  if (files.length) c.files = files;
  if (s.directories.length)
    c.directories = s.directories.map((d) => ({
      path: d.path,
      ...(d.mode ? { mode: d.mode } : {}),
      ...(ownerOf(d.user) !== undefined ? { user: ownerOf(d.user) } : {}),
      ...(ownerOf(d.group) !== undefined ? { group: ownerOf(d.group) } : {}),
    }));
  return c;
}

export function toImageRequest(s: WizardState): ImageRequest {
  if (s.uploadTarget === 'aws') {
    const regions = splitList(s.awsRegion);
    const options = { share_with_accounts: splitList(s.awsAccounts), ...(regions.length ? { regions } : {}) };
    // The schema types `options` as a bare object; for aws it is AWSUploadRequestOptions.
    return { architecture: s.architecture, image_type: s.imageType, upload_request: { type: 'aws', options: options as unknown as Record<string, never> } };
  }
  return { architecture: s.architecture, image_type: s.imageType, upload_request: { type: 'aws.s3', options: {} } };
}

export function toComposeRequest(s: WizardState): ComposeRequest {
  const customizations = toCustomizations(s);
  return {
    distribution: s.distribution,
    ...(s.name ? { image_name: s.name } : {}),
    ...(s.description ? { image_description: s.description } : {}),
    client_id: 'ui',
    image_requests: [toImageRequest(s)],
    ...(Object.keys(customizations).length ? { customizations } : {}),
  };
}

export function toBlueprintRequest(s: WizardState): CreateBlueprintRequest {
  return { name: s.name, description: s.description, distribution: s.distribution, image_requests: [toImageRequest(s)], customizations: toCustomizations(s) };
}

const joinList = (v: string[] | undefined) => (v ?? []).join(', ');
const sizeOf = (minSize: number | string): { size: string; unit: 'MiB' | 'GiB' } => {
  const bytes = typeof minSize === 'number' ? minSize : Number(minSize);
  if (!Number.isFinite(bytes)) return { size: String(minSize), unit: 'GiB' };
  return bytes % 2 ** 30 === 0 ? { size: String(bytes / 2 ** 30), unit: 'GiB' } : { size: String(+(bytes / 2 ** 20).toFixed(2)), unit: 'MiB' };
};
const owner = (v: string | number | undefined) => (v === undefined ? '' : String(v));

/** A stored blueprint (or an exported/imported one) as wizard state, first-boot files folded back into the script. */
export function fromBlueprint(bp: Pick<BlueprintResponse, 'name' | 'description' | 'distribution' | 'image_requests' | 'customizations'>): WizardState {
  const c = bp.customizations ?? {};
  const request = bp.image_requests?.[0];
  const upload = request?.upload_request as { type?: string; options?: { share_with_accounts?: string[]; regions?: string[] } } | undefined;
  const firstBootFile = c.files?.find((f) => f.path === FIRST_BOOT_SCRIPT);
  const files = (c.files ?? []).filter((f) => f.path !== FIRST_BOOT_SCRIPT && f.path !== FIRST_BOOT_UNIT_PATH);
  return {
    ...initialWizardState(),
    name: bp.name ?? '',
    description: bp.description ?? '',
    distribution: bp.distribution ?? '',
    architecture: request?.architecture ?? 'x86_64',
    imageType: request?.image_type ?? '',
    uploadTarget: upload?.type === 'aws' ? 'aws' : 'download',
    awsAccounts: joinList(upload?.options?.share_with_accounts),
    awsRegion: joinList(upload?.options?.regions),
    packages: [...(c.packages ?? [])],
    users: (c.users ?? []).map((u) => ({ name: u.name, password: '', sshKey: u.ssh_key ?? '', groups: joinList(u.groups), hasPassword: !!(u.password || u.hasPassword) })),
    groups: (c.groups ?? []).map((g) => ({ name: g.name, gid: g.gid === undefined ? '' : String(g.gid) })),
    hostname: c.hostname ?? '',
    timezone: c.timezone?.timezone ?? '',
    ntpServers: joinList(c.timezone?.ntpservers),
    languages: joinList(c.locale?.languages),
    keyboard: c.locale?.keyboard ?? '',
    kernelName: c.kernel?.name ?? '',
    kernelAppend: c.kernel?.append ?? '',
    fips: !!c.fips?.enabled,
    servicesEnabled: joinList(c.services?.enabled?.filter((s) => s !== FIRST_BOOT_SERVICE)),
    servicesDisabled: joinList(c.services?.disabled),
    servicesMasked: joinList(c.services?.masked),
    firewallPorts: joinList(c.firewall?.ports),
    firewallEnabled: joinList(c.firewall?.services?.enabled),
    firewallDisabled: joinList(c.firewall?.services?.disabled),
    filesystems: (c.filesystem ?? []).map((f) => ({ mountpoint: f.mountpoint, ...sizeOf(f.min_size) })),
    files: files.map((f) => ({ path: f.path, mode: f.mode ?? '', user: owner(f.user), group: owner(f.group), data: f.data ?? '' })),
    directories: (c.directories ?? []).map((d) => ({ path: d.path, mode: d.mode ?? '', user: owner(d.user), group: owner(d.group) })),
    firstBoot: firstBootFile?.data ?? '',
  };
}
