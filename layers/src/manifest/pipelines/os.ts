/**
 * The `os` pipeline: installs the depsolved packages and configures the tree. Stage order follows osbuild/images'
 * OS pipeline (pkg/manifest/os.go) so manifests compare stage by stage with upstream ones.
 */
import type { Pipeline, Stage } from '../manifest.ts';
import type { ResolvedPackage } from '../../packages/package-set.ts';
import type { SourceCollector } from '../sources.ts';
import type { PartitionTable } from '../disk/partition-table.ts';
import { findFilesystem, findFilesystemOnPlain } from '../disk/partition-table.ts';
import { filesystemConfigStages, imageKernelOptions, type MountConfiguration } from '../disk/disk-stages.ts';
import * as S from '../stages/index.ts';

export interface FileNode {
  path: string;
  /** Text (written as UTF-8) or exact bytes. */
  data: string | Uint8Array;
  mode?: number;
  user?: string | number;
  group?: string | number;
}

export interface DirectoryNode {
  path: string;
  mode?: number;
  user?: string | number;
  group?: string | number;
  ensureParents?: boolean;
}

export interface UserSpec extends S.UserOptions {
  name: string;
}

export interface Platform {
  arch: string;
  bootloader?: string;
  uefiVendor?: string;
  biosPlatform?: string;
}

/** Everything configured in the OS tree, from the image definition and the blueprint (upstream OSCustomizations). */
export interface OSCustomizations {
  kernelName?: string;
  kernelOptions: string[];
  language?: string;
  keyboard?: string;
  x11Layouts?: string[];
  hostname?: string;
  timezone?: string;
  chrony?: S.ChronyOptions;
  groups: { name: string; gid?: number }[];
  users: UserSpec[];
  firewall?: S.FirewallOptions;
  sysconfig?: S.SysconfigOptions;
  systemdLogind: { filename: string; config: Record<string, unknown> }[];
  cloudInit: { filename: string; config: Record<string, unknown> }[];
  modprobe: { filename: string; commands: { command: string; modulename: string }[] }[];
  dracutConf: { filename: string; config: Record<string, unknown> }[];
  systemdDropins: S.SystemdDropinOptions[];
  systemdUnits: S.SystemdUnitCreateOptions[];
  authselect?: { profile: string; features?: string[] };
  dnfConfig?: { variables?: { name: string; value: string }[]; config?: Record<string, unknown> };
  dnfAutomaticConfig?: Record<string, unknown>;
  yumRepos: { filename: string; repos: S.YumRepo[] }[];
  gcpGuestAgent?: { configScope?: string; config: Record<string, unknown> };
  sshdConfig?: Record<string, unknown>;
  networkManager?: { path: string; settings: Record<string, unknown> };
  pwquality?: Record<string, unknown>;
  waagent?: Record<string, unknown>;
  udevRules?: { filename: string; rules: unknown[] };
  grub2Config?: S.Grub2Config;
  directories: DirectoryNode[];
  files: FileNode[];
  enabledServices: string[];
  disabledServices: string[];
  maskedServices: string[];
  defaultTarget?: string;
  wslBootSystemd?: boolean;
  wslDistribution?: Record<string, unknown>;
  fips: boolean;
  caCerts: string[];
  machineIdUninitialized: boolean;
  /** SELinux policy to label the tree with; undefined = no labelling (containers, WSL). */
  selinux?: string;
  excludeDocs: boolean;
  installLangs?: string[];
  gpgKeyFiles: string[];
}

export const emptyOSCustomizations = (): OSCustomizations => ({
  kernelOptions: [],
  groups: [],
  users: [],
  systemdLogind: [],
  cloudInit: [],
  modprobe: [],
  dracutConf: [],
  systemdDropins: [],
  systemdUnits: [],
  yumRepos: [],
  directories: [],
  files: [],
  enabledServices: [],
  disabledServices: [],
  maskedServices: [],
  fips: false,
  caCerts: [],
  machineIdUninitialized: false,
  excludeDocs: false,
  gpgKeyFiles: [],
});

const sortedRecord = <T>(entries: [string, T][]): Record<string, T> =>
  Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** "%#o": 0o644 → "0644", as osbuild/images formats modes for chmod. */
const octal = (mode: number): string => (mode === 0 ? '0' : `0${mode.toString(8)}`);

export function directoryStages(dirs: readonly DirectoryNode[]): Stage[] {
  if (!dirs.length) return [];
  const stages: Stage[] = [
    S.mkdirStage(
      dirs.map((d) => {
        const existOk = d.mode === undefined && d.user === undefined && d.group === undefined;
        return { path: d.path, ...(d.ensureParents ? { parents: true } : {}), ...(existOk ? { exist_ok: true } : {}) };
      }),
    ),
  ];
  const modes = dirs.filter((d) => d.mode !== undefined).map((d): [string, { mode: string }] => [d.path, { mode: octal(d.mode!) }]);
  if (modes.length) stages.push(S.chmodStage(sortedRecord(modes)));
  const owners = ownerEntries(dirs);
  if (owners.length) stages.push(S.chownStage(sortedRecord(owners)));
  return stages;
}

function ownerEntries(nodes: readonly { path: string; user?: string | number; group?: string | number }[]) {
  return nodes
    .filter((n) => n.user !== undefined || n.group !== undefined)
    .map((n): [string, { user?: string | number; group?: string | number }] => [
      n.path,
      { ...(n.user !== undefined ? { user: n.user } : {}), ...(n.group !== undefined ? { group: n.group } : {}) },
    ]);
}

export function fileStages(files: readonly FileNode[], sources: SourceCollector): Stage[] {
  if (!files.length) return [];
  const copies = files.map((f) => ({ checksum: sources.addInline(f.data), path: f.path }));
  const copy = S.copyInlineFilesStage(copies);
  copy.inputs = sortedRecord(Object.entries(copy.inputs!));
  const stages = [copy];
  const modes = files.filter((f) => f.mode !== undefined).map((f): [string, { mode: string }] => [f.path, { mode: octal(f.mode!) }]);
  if (modes.length) stages.push(S.chmodStage(sortedRecord(modes)));
  const owners = ownerEntries(files);
  if (owners.length) stages.push(S.chownStage(sortedRecord(owners)));
  return stages;
}

export interface OSPipelineInput {
  customizations: OSCustomizations;
  platform: Platform;
  partitionTable?: PartitionTable;
  mountConfiguration: MountConfiguration;
  /** One rpm stage per transaction (upstream: base packages, then customization and blueprint packages). */
  transactions: { packages: readonly ResolvedPackage[]; gpgkeys: string[] }[];
  sources: SourceCollector;
  build: string;
}

/** RPM EVRA used in BLS entry names (`saved_entry`). */
export const evra = (p: ResolvedPackage): string => `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}.${p.arch}`;

export function osPipeline(input: OSPipelineInput): Pipeline {
  const c = input.customizations;
  const pt = input.partitionTable;
  const stages: Stage[] = [];
  const rpmOptions: S.RpmStageOptions = {};
  if (c.excludeDocs) rpmOptions.exclude = { docs: true };
  if (c.installLangs?.length) rpmOptions.install_langs = c.installLangs;
  for (const tx of input.transactions) {
    if (!tx.packages.length) continue;
    stages.push(
      S.rpmStage(
        tx.packages.map((p) => ({ checksum: p.checksum, checkGpg: p.checkGpg })),
        { ...(tx.gpgkeys.length ? { gpgkeys: tx.gpgkeys } : {}), ...rpmOptions },
      ),
    );
  }
  const allPackages = input.transactions.flatMap((t) => t.packages);
  let kernelVersion = '';
  if (c.kernelName) {
    const kernel = allPackages.find((p) => p.name === c.kernelName);
    if (!kernel) throw new Error(`kernel package "${c.kernelName}" is not in the depsolved os package set`);
    kernelVersion = evra(kernel);
  }

  stages.push(S.fixBlsStage(pt && findFilesystemOnPlain(pt, '/boot') ? '' : undefined));
  if (c.language) stages.push(S.localeStage(c.language));
  if (c.keyboard) stages.push(S.keymapStage(c.keyboard, c.x11Layouts));
  if (c.hostname) stages.push(S.hostnameStage(c.hostname));
  if (c.timezone) stages.push(S.timezoneStage(c.timezone));
  if (c.chrony) stages.push(S.chronyStage(c.chrony));
  if (c.groups.length) stages.push(S.groupsStage(sortedRecord(c.groups.map((g) => [g.name, g.gid !== undefined ? { gid: g.gid } : {}]))));
  if (c.users.length) {
    stages.push(S.usersStage(sortedRecord(c.users.map(({ name, ...opts }) => [name, opts]))));
  }
  if (c.firewall) stages.push(S.firewallStage(c.firewall));
  if (c.sysconfig) stages.push(S.sysconfigStage(c.sysconfig));
  for (const l of c.systemdLogind) stages.push(S.systemdLogindStage(l.filename, l.config));
  for (const ci of c.cloudInit) stages.push(S.cloudInitStage(ci.filename, ci.config));
  for (const m of c.modprobe) stages.push(S.modprobeStage(m.filename, m.commands));
  // dracut configuration must exist before the kernel's initramfs is built by the rpm stage: prepended
  for (const d of c.dracutConf) stages.unshift(S.dracutConfStage(d.filename, d.config));
  for (const d of c.systemdDropins) stages.push(S.systemdUnitStage(d));
  for (const u of c.systemdUnits) stages.push(S.systemdUnitCreateStage(u));
  if (c.authselect) stages.push(S.authselectStage(c.authselect.profile, c.authselect.features));
  if (c.dnfConfig) stages.push(S.dnfConfigStage(c.dnfConfig));
  if (c.dnfAutomaticConfig) stages.push(S.dnfAutomaticConfigStage(c.dnfAutomaticConfig));
  for (const r of c.yumRepos) stages.push(S.yumReposStage(r.filename, r.repos));
  if (c.gcpGuestAgent) stages.push(S.gcpGuestAgentConfStage(c.gcpGuestAgent.configScope, c.gcpGuestAgent.config));
  if (c.sshdConfig) stages.push(S.sshdConfigStage(c.sshdConfig));
  if (c.networkManager) stages.push(S.nmConfStage(c.networkManager.path, c.networkManager.settings));
  if (c.pwquality) stages.push(S.pwqualityStage(c.pwquality));
  if (c.waagent) stages.push(S.waagentConfStage(c.waagent));
  if (c.udevRules) stages.push(S.udevRulesStage(c.udevRules.filename, c.udevRules.rules));

  if (pt) {
    const { rootUuid, options } = imageKernelOptions(pt, input.mountConfiguration);
    const kernelOptions = [...options, ...c.kernelOptions];
    if (c.fips) {
      kernelOptions.push('fips=1');
      const boot = findFilesystem(pt, '/boot');
      if (boot?.label) kernelOptions.push(`boot=LABEL=${boot.label}`);
      else if (boot?.uuid) kernelOptions.push(`boot=UUID=${boot.uuid}`);
      stages.push(S.dracutStage([kernelVersion], ['fips']));
    }
    stages.push(...filesystemConfigStages(pt, input.mountConfiguration));
    if (input.platform.bootloader === 'grub2') {
      const bootFs = findFilesystemOnPlain(pt, '/boot');
      const opts: S.Grub2Options = {
        compat_version: 2,
        root_fs_uuid: rootUuid,
        ...(bootFs ? { boot_fs_uuid: bootFs.uuid } : {}),
        kernel_opts: kernelOptions.join(' '),
        ...(input.platform.biosPlatform ? { legacy: input.platform.biosPlatform } : {}),
        ...(input.platform.uefiVendor ? { uefi: { vendor: input.platform.uefiVendor, unified: true } } : {}),
        ...(kernelVersion ? { saved_entry: `ffffffffffffffffffffffffffffffff-${kernelVersion}` } : {}),
        write_cmdline: false,
      };
      if (kernelVersion || c.grub2Config) opts.config = { ...(c.grub2Config ?? {}), ...(kernelVersion ? { default: 'saved' } : {}) };
      stages.push(S.grub2Stage(opts));
      stages.unshift(S.kernelCmdlineStage(rootUuid, kernelOptions.join(' ')));
    }
  }

  stages.push(...directoryStages(c.directories));
  stages.push(...fileStages(c.files, input.sources));
  if (c.enabledServices.length || c.disabledServices.length || c.maskedServices.length || c.defaultTarget) {
    stages.push(
      S.systemdStage({
        ...(c.enabledServices.length ? { enabled_services: c.enabledServices } : {}),
        ...(c.disabledServices.length ? { disabled_services: c.disabledServices } : {}),
        ...(c.maskedServices.length ? { masked_services: c.maskedServices } : {}),
        ...(c.defaultTarget ? { default_target: c.defaultTarget } : {}),
      }),
    );
  }
  if (c.wslBootSystemd !== undefined) stages.push(S.wslConfStage(c.wslBootSystemd));
  if (c.wslDistribution) stages.push(S.wslDistributionConfStage(c.wslDistribution));
  if (c.fips) {
    stages.push({ type: 'org.osbuild.update-crypto-policies', options: { policy: 'FIPS' } });
    stages.push(S.dracutConfStage('40-fips.conf', { add_dracutmodules: ['fips'] }));
    stages.push(
      ...fileStages([{ path: '/etc/system-fips', data: '# FIPS module installation complete\n', mode: 0o644, user: 'root', group: 'root' }], input.sources),
    );
  }
  if (c.caCerts.length) {
    stages.push(...fileStages(c.caCerts.map((pem, i) => ({ path: `/etc/pki/ca-trust/source/anchors/${caFileName(pem, i)}.pem`, data: pem })), input.sources));
    stages.push(S.updateCaTrustStage());
  }
  if (c.machineIdUninitialized) stages.push(S.machineIdStage('yes'));
  if (c.selinux) stages.push(S.selinuxStage(`etc/selinux/${c.selinux}/contexts/files/file_contexts`));
  return { name: 'os', build: `name:${input.build}`, stages };
}

/** Upstream names anchors by the certificate serial; we use a content hash prefix, stable and collision-free. */
function caFileName(pem: string, index: number): string {
  let h = 0;
  for (const ch of pem) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `ca-${index}-${h.toString(16)}`;
}
