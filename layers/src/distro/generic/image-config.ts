/**
 * Resolves an image type's `image_config` (upstream ImageConfig) for a distro/arch and turns it, together with the
 * blueprint, into OSCustomizations: the same precedence as osbuild/images' osCustomizations() — blueprint values
 * win over image type defaults, which win over distro defaults.
 */
import type { Blueprint } from '../../blueprint/blueprint.ts';
import { parseSize } from '../../blueprint/sizes.ts';
import type { ImageConfigDef, ImageTypeDef } from '../defs/types.ts';
import { evalWhen, type ConditionTarget } from '../defs/conditions.ts';
import type { DistroDef } from './distros.ts';
import { emptyOSCustomizations, type OSCustomizations } from '../../manifest/pipelines/os.ts';
import { isCryptedPassword } from '../../manifest/crypt.ts';
import type { OciArchiveConfig, YumRepo } from '../../manifest/stages/index.ts';

export type ImageConfig = Record<string, unknown>;

/** Type config (with its matching conditions shallow-merged) inheriting unset keys from the distro config. */
export function resolveImageConfig(def: ImageTypeDef, distro: DistroDef, target: ConditionTarget): ImageConfig {
  const apply = (cfg: ImageConfigDef | undefined, withArch: boolean): ImageConfig => {
    if (!cfg) return {};
    const { conditions, ...base } = cfg;
    let out: ImageConfig = { ...base };
    for (const cond of Object.values(conditions ?? {})) {
      if (evalWhen(cond.when, target, withArch)) out = { ...out, ...cond.shallow_merge };
    }
    return out;
  };
  // distro image config conditions cannot be architecture specific (upstream evaluates them with arch "")
  return { ...apply(distro.imageConfig, false), ...apply(def.image_config, true) };
}

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v ?? {}) as Obj;
const defined = <T extends object>(x: T): T => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as T;

/** Go struct fields without yaml tags are matched lower-case in the YAML; the stage wants the JSON names. */
function logindConfig(config: Obj): Obj {
  const login = o(config.login);
  return { Login: defined({ NAutoVTs: login.nautovts }) };
}

function dropinConfig(config: Obj): Obj {
  const out: Obj = {};
  const service = o(config.service);
  if (config.service) {
    out.Service = defined({
      Environment: (service.environment as Obj[] | undefined)?.map((e) => ({ key: e.key, value: e.value })),
      EnvironmentFile: service.environmentfile,
    });
  }
  if (config.Unit) out.Unit = config.Unit;
  return out;
}

function cloudInitConfig(config: Obj): Obj {
  const out: Obj = { ...config };
  if (config.datasource) {
    const ds = o(config.datasource);
    out.datasource = defined({ Azure: ds.azure ? { apply_network_config: Boolean(o(ds.azure).apply_network_config) } : undefined });
  }
  return out;
}

/** Dracut config: yaml.v3 lower-cases untagged Go fields; map them to the stage's JSON names. */
const DRACUT_KEYS: Record<string, string> = {
  modules: 'dracutmodules',
  omitmodules: 'omit_dracutmodules',
  forcedrivers: 'force_drivers',
  install: 'install_items',
  earlymicrocode: 'early_microcode',
};
const dracutConfig = (config: Obj): Obj => Object.fromEntries(Object.entries(config).map(([k, v]) => [DRACUT_KEYS[k] ?? k, v]));

function udevRules(rules: unknown[]): unknown[] {
  return rules.map((r) => {
    const rule = o(r);
    if (rule.comment) return { comment: rule.comment };
    return (rule.rule as Obj[]).map((k) => ({
      key: k.A !== undefined ? { name: k.K, arg: k.A } : k.K,
      op: k.O,
      val: k.V,
    }));
  });
}

function dnfConfig(cfg: Obj, osVersion: string): OSCustomizations['dnfConfig'] {
  const options = o(cfg.options);
  const out: NonNullable<OSCustomizations['dnfConfig']> = {};
  const variables = [...((options.variables as { name: string; value: string }[] | undefined) ?? [])];
  if (cfg.set_releasever_var) variables.push({ name: 'releasever', value: osVersion });
  if (variables.length) out.variables = variables;
  const main = o(o(options.config).main);
  if (Object.keys(main).length) out.config = { main: defined({ ip_resolve: main.ipresolve }) };
  return out;
}

export function ociConfig(cfg: ImageConfig): OciArchiveConfig | undefined {
  const archive = o(o(cfg.oci).archive);
  if (!cfg.oci) return undefined;
  return defined({
    Cmd: archive.cmd as string[] | undefined,
    Entrypoint: archive.entrypoint as string[] | undefined,
    Env: archive.env as string[] | undefined,
    ExposedPorts: archive.exposed_ports as string[] | undefined,
    User: archive.user as string | undefined,
    Labels: archive.labels as Record<string, string> | undefined,
    WorkingDir: archive.working_dir as string | undefined,
    Volumes: archive.volumes as string[] | undefined,
  });
}

function sysconfig(cfg: ImageConfig): OSCustomizations['sysconfig'] {
  const kernel: { update_default?: boolean; default_kernel?: string } = {};
  if (cfg.update_default_kernel !== undefined) kernel.update_default = cfg.update_default_kernel as boolean;
  if (cfg.default_kernel !== undefined) kernel.default_kernel = cfg.default_kernel as string;
  const sc = o(cfg.sysconfig);
  const out: NonNullable<OSCustomizations['sysconfig']> = {};
  if (Object.keys(kernel).length) out.kernel = kernel;
  if (sc.networking) out.network = { networking: true, no_zero_conf: Boolean(sc.no_zero_conf) };
  return Object.keys(out).length ? out : undefined;
}

const parseMode = (mode: string | undefined): number | undefined => (mode === undefined ? undefined : parseInt(mode, 8));

/** Plain-text passwords are hashed (SHA-512 crypt, salt from the seed) like composer does; hashes pass through. */
export type PasswordHasher = (password: string) => string;

export interface OSCustomizationContext {
  def: ImageTypeDef;
  distro: DistroDef;
  arch: string;
  config: ImageConfig;
  blueprint: Blueprint;
  bootable: boolean;
  hashPassword: PasswordHasher;
}

/** OSCustomizations for an image: image config defaults overridden by the blueprint. */
export function osCustomizations(ctx: OSCustomizationContext): OSCustomizations {
  const { config: cfg, blueprint: bp, distro } = ctx;
  const c = bp.customizations;
  const osc = emptyOSCustomizations();

  if (ctx.bootable) {
    osc.kernelName = (cfg.default_kernel_name as string | undefined) ?? c.kernel?.name ?? 'kernel';
    osc.kernelOptions = [...((cfg.kernel_options as string[] | undefined) ?? [])];
    if (c.kernel?.append) osc.kernelOptions.push(c.kernel.append);
  }
  osc.fips = c.fips ?? false;
  osc.gpgKeyFiles = [...((cfg.gpgkey_files as string[] | undefined) ?? []), ...(c.rpm?.import_keys?.files ?? [])];
  osc.excludeDocs = Boolean(cfg.exclude_docs);
  osc.installLangs = cfg.install_langs as string[] | undefined;

  osc.groups = (c.group ?? []).map((g) => defined({ name: g.name, gid: g.gid }));
  const keys = new Map((c.sshkey ?? []).map((k) => [k.user, k.key]));
  osc.users = (c.user ?? []).map((u) =>
    defined({
      name: u.name,
      uid: u.uid,
      gid: u.gid,
      groups: u.groups?.length ? u.groups : undefined,
      description: u.description,
      home: u.home,
      shell: u.shell,
      password: u.password === undefined ? undefined : isCryptedPassword(u.password) ? u.password : ctx.hashPassword(u.password),
      key: u.key ?? keys.get(u.name),
      expiredate: u.expiredate,
      force_password_reset: u.force_password_reset,
    }),
  );
  // sshkey entries for users not otherwise customized create the key for that (existing) user
  for (const [user, key] of keys) if (!osc.users.some((u) => u.name === user)) osc.users.push({ name: user, key });
  for (const u of (cfg.users as { name: string; key?: string }[] | undefined) ?? []) osc.users.push(defined({ name: u.name, key: u.key }));

  osc.enabledServices = [...((cfg.enabled_services as string[] | undefined) ?? []), ...(c.services?.enabled ?? [])];
  osc.disabledServices = [...((cfg.disabled_services as string[] | undefined) ?? []), ...(c.services?.disabled ?? [])];
  osc.maskedServices = [...((cfg.masked_services as string[] | undefined) ?? []), ...(c.services?.masked ?? [])];
  osc.defaultTarget = cfg.default_target as string | undefined;

  osc.firewall = cfg.firewall as OSCustomizations['firewall'];
  if (c.firewall) {
    osc.firewall = defined({
      ports: c.firewall.ports?.length ? c.firewall.ports : undefined,
      enabled_services: c.firewall.services?.enabled?.length ? c.firewall.services.enabled : undefined,
      disabled_services: c.firewall.services?.disabled?.length ? c.firewall.services.disabled : undefined,
      zones: c.firewall.zones?.length ? c.firewall.zones.map((z) => defined({ name: z.name!, sources: z.sources })) : undefined,
    });
  }

  const language = c.locale?.languages?.[0];
  osc.language = language ?? (cfg.locale as string | undefined);
  const keyboard = o(cfg.keyboard);
  if (c.locale?.keyboard) osc.keyboard = c.locale.keyboard;
  else if (cfg.keyboard) {
    osc.keyboard = keyboard.keymap as string;
    osc.x11Layouts = o(keyboard['x11-keymap']).layouts as string[] | undefined;
  }
  osc.hostname = c.hostname ?? (cfg.hostname as string | undefined);
  osc.timezone = c.timezone?.timezone ?? (cfg.timezone as string | undefined);
  if (c.timezone?.ntpservers?.length) osc.chrony = { servers: c.timezone.ntpservers.map((hostname) => ({ hostname })) };
  else if (cfg.time_synchronization) osc.chrony = cfg.time_synchronization as OSCustomizations['chrony'];

  if (!cfg.no_selinux) osc.selinux = 'targeted';

  osc.directories = (c.directories ?? []).map((d) =>
    defined({ path: d.path, mode: parseMode(d.mode), user: d.user, group: d.group, ensureParents: d.ensure_parents }),
  );
  osc.files = (c.files ?? []).map((f) => defined({ path: f.path, data: f.data ?? '', mode: parseMode(f.mode), user: f.user, group: f.group }));

  // a copy: the blueprint's repositories are appended below, and the image config belongs to the shared definitions
  osc.yumRepos = [...((cfg.yum_repos as { filename: string; repos: YumRepo[] }[] | undefined) ?? [])];
  const written = (c.repositories ?? []).filter((r) => !r.install_from);
  const byFile = new Map<string, YumRepo[]>();
  for (const r of written) {
    const filename = r.filename ?? `${r.id}.repo`;
    const gpgkey = (r.gpgkeys ?? []).map((k, i) => {
      if (!k.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) return k;
      // inline keys are written to the tree and referenced by path, as upstream does
      const path = `/etc/pki/rpm-gpg/RPM-GPG-KEY-${r.id}-${i}`;
      osc.files.push({ path, data: k });
      return `file://${path}`;
    });
    const repo: YumRepo = defined({
      id: r.id,
      name: r.name,
      baseurl: r.baseurls?.length ? r.baseurls : undefined,
      metalink: r.metalink,
      mirrorlist: r.mirrorlist,
      gpgkey: gpgkey.length ? gpgkey : undefined,
      enabled: r.enabled ?? true,
      gpgcheck: r.gpgcheck,
      repo_gpgcheck: r.repo_gpgcheck,
      sslverify: r.sslverify,
      priority: r.priority,
      module_hotfixes: r.module_hotfixes,
    });
    byFile.set(filename, [...(byFile.get(filename) ?? []), repo]);
  }
  for (const filename of [...byFile.keys()].sort()) osc.yumRepos.push({ filename, repos: byFile.get(filename)! });

  const dnf = o(cfg.dnf_config);
  if (cfg.dnf_config) osc.dnfConfig = dnfConfig(dnf, distro.osVersion);

  osc.grub2Config = cfg.grub2_config as OSCustomizations['grub2Config'];
  osc.sysconfig = sysconfig(cfg);
  osc.systemdLogind = ((cfg.systemd_logind as Obj[] | undefined) ?? []).map((l) => ({ filename: l.filename as string, config: logindConfig(o(l.config)) }));
  osc.cloudInit = ((cfg.cloud_init as Obj[] | undefined) ?? []).map((ci) => ({ filename: ci.filename as string, config: cloudInitConfig(o(ci.config)) }));
  osc.modprobe = (cfg.modprobe as OSCustomizations['modprobe'] | undefined) ?? [];
  osc.dracutConf = ((cfg.dracut_conf as Obj[] | undefined) ?? []).map((d) => ({ filename: d.filename as string, config: dracutConfig(o(d.config)) }));
  osc.systemdDropins = ((cfg.systemd_dropin as Obj[] | undefined) ?? []).map((d) =>
    defined({ unit: d.unit as string, dropin: d.dropin as string, config: dropinConfig(o(d.config)), 'unit-type': d['unit-type'] as string | undefined }),
  );
  osc.systemdUnits = (cfg.systemd_unit as OSCustomizations['systemdUnits'] | undefined) ?? [];
  osc.authselect = cfg.authselect as OSCustomizations['authselect'];
  if (cfg.dnf_automatic_config) osc.dnfAutomaticConfig = o(o(cfg.dnf_automatic_config).config);
  if (cfg.gcp_guest_agent_config) {
    const g = o(cfg.gcp_guest_agent_config);
    osc.gcpGuestAgent = { configScope: g.config_scope as string | undefined, config: o(g.config) };
  }
  if (cfg.sshd_config) osc.sshdConfig = { ...o(o(cfg.sshd_config).config) };
  if (osc.sshdConfig && c.sshd) {
    if (c.sshd.PasswordAuthentication !== undefined) osc.sshdConfig.PasswordAuthentication = c.sshd.PasswordAuthentication;
    if (c.sshd.KbdInteractiveAuthentication !== undefined) osc.sshdConfig.ChallengeResponseAuthentication = c.sshd.KbdInteractiveAuthentication;
    if (c.sshd.ClientAliveInterval !== undefined) osc.sshdConfig.ClientAliveInterval = c.sshd.ClientAliveInterval;
    if (c.sshd.PermitRootLogin !== undefined) osc.sshdConfig.PermitRootLogin = c.sshd.PermitRootLogin;
  }
  if (cfg.network_manager) osc.networkManager = cfg.network_manager as OSCustomizations['networkManager'];
  if (cfg.pwquality) osc.pwquality = o(o(cfg.pwquality).config);
  if (cfg.waagent_config) osc.waagent = o(o(cfg.waagent_config).config);
  if (cfg.udev_rules) {
    const u = o(cfg.udev_rules);
    osc.udevRules = { filename: u.filename as string, rules: udevRules(u.rules as unknown[]) };
  }
  const wsl = o(cfg.wsl);
  if (cfg.wsl) {
    osc.wslBootSystemd = Boolean(o(wsl.config).boot_systemd);
    const dist = o(wsl.distribution_config);
    if (wsl.distribution_config) {
      const oobe = o(dist.oobe);
      osc.wslDistribution = defined({
        oobe: defined({
          default_uid: oobe.default_uid,
          default_name: typeof oobe.default_name === 'string' ? oobe.default_name.replace('%s', distro.osVersion) : undefined,
        }),
        shortcut: dist.shortcut,
      });
    }
  }
  for (const f of (cfg.files as Obj[] | undefined) ?? []) {
    osc.files.push(defined({ path: f.path as string, data: (f.data as string) ?? '', mode: f.mode as number | undefined, user: f.user as string | undefined, group: f.group as string | undefined }));
  }
  osc.caCerts = c.cacerts?.pem_certs ?? [];
  osc.machineIdUninitialized = Boolean(cfg.machine_id_uninitialized);
  return osc;
}

/** Bytes requested for each blueprint filesystem mountpoint. */
export const filesystemRequests = (bp: Blueprint): { mountpoint: string; minSize: number }[] =>
  (bp.customizations.filesystem ?? []).map((f, i) => ({ mountpoint: f.mountpoint, minSize: parseSize(f.minsize, `customizations.filesystem[${i}].minsize`) }));
