/**
 * Local mode's Weldr listener: composer's API (functions/weldr/) as HTTP/1.1 on a unix socket, acting for one
 * organization, so composer-cli and cockpit-composer drive this service as they drive a composer host. No cloud API
 * socket is created: composer-cli would switch APIs on seeing one.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { envChoice, envString, type Env } from '../layers/src/config/env.ts';
import type { Logger } from '../layers/src/log/logger.ts';
import type { ServiceDeps } from '../layers/src/service/deps.ts';
import { createWeldrListener } from '../functions/weldr/weldr-api.ts';

export interface WeldrSocketConfig {
  /** IBS_WELDR_SOCKET; unset: `<data dir>/weldr/api.socket` of the stack's data directory. */
  socketPath?: string;
  /** IBS_WELDR_ORG: the organization every socket request acts for (default `local`). */
  orgId: string;
  /** IBS_WELDR_GROUP: the group owning the socket (name or gid); unset: the process's. */
  group?: string;
  /** IBS_DEFAULT_DISTRO: the distribution of blueprints naming none (default: the host's when built, else the first). */
  defaultDistro?: string;
  /** IBS_WELDR_SYSTEM=1: composer's system socket (/run/weldr/api.socket in a 0755 directory); needs root. */
  system?: boolean;
}

/** composer's socket (osbuild-composer.socket: ListenStream=/run/weldr/api.socket, SocketGroup=weldr, SocketMode=660). */
export const SYSTEM_WELDR_SOCKET = '/run/weldr/api.socket';
const SYSTEM_WELDR_GROUP = 'weldr';

/** A group's id from /etc/group, or undefined when there is no such group. */
function findGroupId(name: string): number | undefined {
  let groups = '';
  try {
    groups = readFileSync('/etc/group', 'utf8');
  } catch {
    return undefined;
  }
  const line = groups.split('\n').find((l) => l.split(':')[0] === name);
  return line === undefined ? undefined : Number(line.split(':')[2]);
}

/**
 * The Weldr settings, or undefined when IBS_WELDR=0 turns the socket off. IBS_WELDR_SYSTEM=1 serves composer's
 * /run/weldr/api.socket (group `weldr` when that group exists), as a composer host does, unless IBS_WELDR_SOCKET or
 * IBS_WELDR_GROUP say otherwise.
 */
export function readWeldrConfig(env: Env, groupExists: (name: string) => boolean = (name) => findGroupId(name) !== undefined): WeldrSocketConfig | undefined {
  if (envChoice(env, 'IBS_WELDR', ['0', '1'], '1') === '0') return undefined;
  const system = envChoice(env, 'IBS_WELDR_SYSTEM', ['0', '1'], '0') === '1';
  const group = env.IBS_WELDR_GROUP?.trim() || (system && groupExists(SYSTEM_WELDR_GROUP) ? SYSTEM_WELDR_GROUP : undefined);
  const defaultDistro = env.IBS_DEFAULT_DISTRO?.trim();
  const socketPath = env.IBS_WELDR_SOCKET?.trim() || (system ? SYSTEM_WELDR_SOCKET : undefined);
  return {
    ...(socketPath ? { socketPath } : {}),
    orgId: envString(env, 'IBS_WELDR_ORG', 'local'),
    ...(group ? { group } : {}),
    ...(defaultDistro ? { defaultDistro } : {}),
    ...(system ? { system } : {}),
  };
}

/** composer's host architecture names. */
export const hostArchitecture = (): string => ({ x64: 'x86_64', arm64: 'aarch64', ppc64: 'ppc64le', s390x: 's390x' })[process.arch as string] ?? process.arch;

/** The host's distribution (`<ID>-<VERSION_ID major>` from os-release) when the service builds it, else the first. */
async function resolveDefaultDistro(given: string | undefined): Promise<string> {
  const { listDistributions, findDistribution } = await import('../layers/src/distro/registry.ts');
  if (given) return findDistribution(given, 'IBS_DEFAULT_DISTRO').name;
  const names = listDistributions().map((d) => d.name);
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    const field = (key: string) => new RegExp(`^${key}="?([^"\\n]*)"?$`, 'm').exec(release)?.[1] ?? '';
    const host = `${field('ID')}-${field('VERSION_ID').split('.')[0]}`;
    if (names.includes(host)) return host;
  } catch {
    // No os-release: fall through to the first distribution.
  }
  return names[0];
}

function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  const gid = findGroupId(group);
  if (gid === undefined) throw new Error(`IBS_WELDR_GROUP: no group named "${group}" in /etc/group`);
  return gid;
}

export interface WeldrSocket {
  socketPath: string;
  server: Server;
  close(): Promise<void>;
}

/** Listens on the socket (a stale socket file from an earlier run is replaced), mode 0660, group as configured. */
export async function startWeldrSocket(config: WeldrSocketConfig, dataDir: string, deps: ServiceDeps, log: Logger): Promise<WeldrSocket> {
  const socketPath = config.socketPath ?? join(dataDir, 'weldr', 'api.socket');
  if (config.system && process.getuid?.() !== 0) throw new Error(`IBS_WELDR_SYSTEM=1: ${socketPath} is composer's system socket and needs root (or give IBS_WELDR_SOCKET)`);
  const defaultDistro = await resolveDefaultDistro(config.defaultDistro);
  const server = createServer(createWeldrListener({ deps, orgId: config.orgId, defaultDistro, hostArch: hostArchitecture(), log }));
  // /run/weldr is 0755 as systemd makes it for composer: the socket's own mode and group decide who connects.
  mkdirSync(dirname(socketPath), { recursive: true, mode: config.system ? 0o755 : 0o750 });
  if (existsSync(socketPath)) {
    if (!lstatSync(socketPath).isSocket()) throw new Error(`IBS_WELDR_SOCKET: ${socketPath} exists and is not a socket`);
    unlinkSync(socketPath);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A unix socket is bound inside listen(): under this umask it is born 0660, with no moment of wider access.
    const previous = process.umask(0o117);
    try {
      server.listen(socketPath, () => resolve());
    } finally {
      process.umask(previous);
    }
  });
  chmodSync(socketPath, 0o660);
  if (config.group !== undefined) chownSync(socketPath, -1, groupId(config.group));
  log.info('weldr socket listening', { socket: socketPath, orgId: config.orgId, defaultDistro });
  return {
    socketPath,
    server,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      if (existsSync(socketPath)) unlinkSync(socketPath);
    },
  };
}
