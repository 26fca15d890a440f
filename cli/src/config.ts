/**
 * Where `ibs` finds its service: flags, then the environment (IBS_URL, IBS_TOKEN, IBS_ORG), then a config file
 * (--config, IBS_CONFIG, or $XDG_CONFIG_HOME/ibs/config.toml|json, ~/.config/ibs/config.toml|json), then the
 * local-mode default http://127.0.0.1:8080.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { CliError, UsageError } from './errors.ts';

export const API_PATH = '/api/image-builder/v1';
export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface ServiceConfig {
  /** API base URL ending in /api/image-builder/v1. */
  apiUrl: string;
  /** Bearer token sent as `Authorization: Bearer` (local mode: from `ibs token`). */
  token?: string;
  /** Organization sent as X-Org-Id: read only by a local service started with IBS_INSECURE_ORG_HEADER=1 (else the token names it). */
  org?: string;
  /** The config file that was read, if any. */
  file?: string;
}

export interface ConfigFlags {
  url?: string;
  token?: string;
  org?: string;
  config?: string;
}

interface FileConfig {
  url?: string;
  token?: string;
  org?: string;
}

const KEYS = ['url', 'token', 'org'] as const;

/** The candidate config files in lookup order. */
export function configFileCandidates(env: NodeJS.ProcessEnv): string[] {
  const dir = env.XDG_CONFIG_HOME ? join(env.XDG_CONFIG_HOME, 'ibs') : join(env.HOME ?? homedir(), '.config', 'ibs');
  return [join(dir, 'config.toml'), join(dir, 'config.json')];
}

export function readConfigFile(path: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read config file ${path}: ${(error as Error).message}`, undefined, { cause: error });
  }
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseToml(text);
  } catch (error) {
    throw new CliError(`config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'TOML'}: ${(error as Error).message.split('\n')[0]}`, undefined, {
      cause: error,
    });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CliError(`config file ${path}: expected a table of settings`);
  const out: FileConfig = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new CliError(`config file ${path}: unknown setting "${key}" (allowed: ${KEYS.join(', ')})`);
    if (typeof value !== 'string') throw new CliError(`config file ${path}: "${key}" must be a string`);
    out[key as (typeof KEYS)[number]] = value;
  }
  return out;
}

/** Accepts a bare origin (http://host:8080) or the full API base; always returns the API base. */
export function normalizeApiUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a URL (expected e.g. ${DEFAULT_URL})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`"${url}" must be an http:// or https:// URL`);
  const path = parsed.pathname.replace(/\/+$/, '');
  parsed.pathname = path.endsWith(API_PATH) ? path : `${path}${API_PATH}`;
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString().replace(/\/$/, '');
}

export function resolveServiceConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv): ServiceConfig {
  const explicit = flags.config ?? env.IBS_CONFIG;
  if (explicit && !existsSync(explicit)) throw new CliError(`config file ${explicit} does not exist`);
  const file = explicit ?? configFileCandidates(env).find((p) => existsSync(p));
  const fromFile = file ? readConfigFile(file) : {};
  const pick = (flag: string | undefined, envValue: string | undefined, fileValue: string | undefined) =>
    flag ?? (envValue ? envValue : undefined) ?? fileValue;
  return {
    apiUrl: normalizeApiUrl(pick(flags.url, env.IBS_URL, fromFile.url) ?? DEFAULT_URL),
    token: pick(flags.token, env.IBS_TOKEN, fromFile.token),
    org: pick(flags.org, env.IBS_ORG, fromFile.org),
    file,
  };
}
