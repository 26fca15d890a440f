/** The declarative shape of a command: drives parsing, --help, docs examples and the bash completion. */
import type { ApiClient } from './client.ts';
import type { Io } from './output.ts';

/** What the shell completes for a value: files, directories, a fixed list, or values asked from `ibs` itself. */
export type Completion = 'file' | 'dir' | 'distro' | 'arch' | 'type' | 'compose-id' | 'blueprint' | readonly string[];

export interface OptionSpec {
  /** Long name without the leading dashes. */
  name: string;
  short?: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Placeholder shown in help for the value. */
  metavar?: string;
  description: string;
  complete?: Completion;
}

export interface ArgSpec {
  name: string;
  description: string;
  required?: boolean;
  variadic?: boolean;
  complete?: Completion;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  io: Io;
  args: string[];
  options: OptionValues;
  json: boolean;
  /** A client for the configured service (created on first use, so offline commands never need a config). */
  client(): ApiClient;
}

export interface CommandSpec {
  /** Words after `ibs`, e.g. ["compose", "start"]. */
  path: string[];
  summary: string;
  /** Longer help text, shown after the usage line. */
  description?: string;
  args?: ArgSpec[];
  options?: OptionSpec[];
  /** At least one example; shown in --help and docs/cli.md. */
  examples: string[];
  /** Runs without a service. */
  offline?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

export const GLOBAL_OPTIONS: OptionSpec[] = [
  { name: 'url', type: 'string', metavar: 'URL', description: 'service URL (env IBS_URL; default http://127.0.0.1:8080)' },
  { name: 'token', type: 'string', metavar: 'TOKEN', description: 'bearer token (env IBS_TOKEN)' },
  { name: 'org', type: 'string', metavar: 'ORG', description: 'organization: for ibs token, the token\'s; else sent as X-Org-Id, read only by a local service with IBS_INSECURE_ORG_HEADER=1 (env IBS_ORG)' },
  { name: 'config', type: 'string', metavar: 'FILE', description: 'config file (default ~/.config/ibs/config.toml or .json)', complete: 'file' },
  { name: 'json', type: 'boolean', description: 'machine-readable JSON output' },
  { name: 'help', short: 'h', type: 'boolean', description: 'show help' },
];

/** Options whose value is the next word, for routing before the command is known. */
export const GLOBAL_VALUE_OPTIONS = new Set(GLOBAL_OPTIONS.filter((o) => o.type === 'string').map((o) => `--${o.name}`));

export const commandName = (spec: Pick<CommandSpec, 'path'>): string => ['ibs', ...spec.path].join(' ');

export function optionString(options: OptionValues, name: string): string | undefined {
  const v = options[name];
  return typeof v === 'string' ? v : undefined;
}

export function optionList(options: OptionValues, name: string): string[] {
  const v = options[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}
