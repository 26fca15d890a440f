import type { Stage } from '../manifest.ts';

const stage = (type: string, options: object): Stage => ({ type, options: options as Record<string, unknown> });

export const localeStage = (language: string): Stage => stage('org.osbuild.locale', { language });

export const keymapStage = (keymap: string, x11Layouts?: string[]): Stage =>
  stage('org.osbuild.keymap', { keymap, ...(x11Layouts?.length ? { 'x11-keymap': { layouts: x11Layouts } } : {}) });

export const hostnameStage = (hostname: string): Stage => stage('org.osbuild.hostname', { hostname });

export const timezoneStage = (zone: string): Stage => stage('org.osbuild.timezone', { zone });

export interface ChronyServer {
  hostname: string;
  minpoll?: number;
  maxpoll?: number;
  iburst?: boolean;
  prefer?: boolean;
}
export interface ChronyOptions {
  servers?: ChronyServer[];
  refclocks?: { driver: Record<string, unknown>; poll?: number; dpoll?: number; offset?: number }[];
  leapsectz?: string;
}
export const chronyStage = (options: ChronyOptions): Stage => stage('org.osbuild.chrony', options);

export interface UserOptions {
  uid?: number;
  gid?: number;
  groups?: string[];
  description?: string;
  home?: string;
  shell?: string;
  password?: string;
  key?: string;
  expiredate?: number;
  force_password_reset?: boolean;
}
export const usersStage = (users: Record<string, UserOptions>): Stage => stage('org.osbuild.users', { users });

export const groupsStage = (groups: Record<string, { gid?: number }>): Stage => stage('org.osbuild.groups', { groups });

export interface FirewallOptions {
  ports?: string[];
  enabled_services?: string[];
  disabled_services?: string[];
  default_zone?: string;
  zones?: { name: string; sources?: string[] }[];
}
export const firewallStage = (options: FirewallOptions): Stage => stage('org.osbuild.firewall', options);

export interface SysconfigOptions {
  kernel?: { update_default?: boolean; default_kernel?: string };
  network?: { networking?: boolean; no_zero_conf?: boolean };
}
export const sysconfigStage = (options: SysconfigOptions): Stage => stage('org.osbuild.sysconfig', options);

export interface SystemdOptions {
  enabled_services?: string[];
  disabled_services?: string[];
  masked_services?: string[];
  default_target?: string;
}
export const systemdStage = (options: SystemdOptions): Stage => stage('org.osbuild.systemd', options);

export const selinuxStage = (fileContexts: string, labels?: Record<string, string>, forceAutorelabel?: boolean): Stage =>
  stage('org.osbuild.selinux', {
    file_contexts: fileContexts,
    ...(labels && Object.keys(labels).length ? { labels } : {}),
    ...(forceAutorelabel !== undefined ? { force_autorelabel: forceAutorelabel } : {}),
  });

export const machineIdStage = (firstBoot: 'yes' | 'no' | 'preserve'): Stage => stage('org.osbuild.machine-id', { 'first-boot': firstBoot });

export const authselectStage = (profile: string, features?: string[]): Stage =>
  stage('org.osbuild.authselect', { profile, ...(features?.length ? { features } : {}) });

export const sshdConfigStage = (config: Record<string, unknown>): Stage => stage('org.osbuild.sshd.config', { config });

export const pwqualityStage = (config: Record<string, unknown>): Stage => stage('org.osbuild.pwquality.conf', { config });

export const systemdLogindStage = (filename: string, config: Record<string, unknown>): Stage =>
  stage('org.osbuild.systemd-logind', { filename, config });

export interface SystemdDropinOptions {
  unit: string;
  dropin: string;
  config: Record<string, unknown>;
  'unit-type'?: string;
}
export const systemdUnitStage = (options: SystemdDropinOptions): Stage => stage('org.osbuild.systemd.unit', options);

export interface SystemdUnitCreateOptions {
  filename: string;
  'unit-type'?: string;
  'unit-path'?: string;
  config: Record<string, unknown>;
}
export const systemdUnitCreateStage = (options: SystemdUnitCreateOptions): Stage => stage('org.osbuild.systemd.unit.create', options);

export const tunedStage = (profiles: string[]): Stage => stage('org.osbuild.tuned', { profiles });

export const nmConfStage = (path: string, settings: Record<string, unknown>): Stage => stage('org.osbuild.nm.conf', { path, settings });

export const dnfConfigStage = (options: { variables?: { name: string; value: string }[]; config?: Record<string, unknown> }): Stage =>
  stage('org.osbuild.dnf.config', options);

export const dnfAutomaticConfigStage = (config: Record<string, unknown>): Stage => stage('org.osbuild.dnf-automatic.config', { config });

export interface YumRepo {
  id: string;
  name?: string;
  baseurl?: string[];
  metalink?: string;
  mirrorlist?: string;
  gpgkey?: string[];
  enabled?: boolean;
  gpgcheck?: boolean;
  repo_gpgcheck?: boolean;
  sslverify?: boolean;
  priority?: number;
  module_hotfixes?: boolean;
}
export const yumReposStage = (filename: string, repos: YumRepo[]): Stage => stage('org.osbuild.yum.repos', { filename, repos });

export const gcpGuestAgentConfStage = (configScope: string | undefined, config: Record<string, unknown>): Stage =>
  stage('org.osbuild.gcp.guest-agent.conf', { ...(configScope ? { config_scope: configScope } : {}), config });

export const wslConfStage = (bootSystemd: boolean): Stage => stage('org.osbuild.wsl.conf', { boot: { systemd: bootSystemd } });

export const wslDistributionConfStage = (options: Record<string, unknown>): Stage => stage('org.osbuild.wsl-distribution.conf', options);

export const updateCaTrustStage = (): Stage => ({ type: 'org.osbuild.pki.update-ca-trust' });

export const rhsmStage = (options: Record<string, unknown>): Stage => stage('org.osbuild.rhsm', options);
