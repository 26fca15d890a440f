/** What the `ibs blueprints` commands share: the NAME|ID argument, its lookup, and the API shapes they read. */
import type { ApiClient } from './client.ts';
import { commandName, type ArgSpec, type CommandSpec } from './command.ts';
import { CliError, UsageError } from './errors.ts';
import type { Io } from './output.ts';

export const BLUEPRINT_ARG: ArgSpec = { name: 'BLUEPRINT', description: 'blueprint name or id (from "ibs blueprints list")', required: true, complete: 'blueprint' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface BlueprintItem {
  id: string;
  name: string;
  description: string;
  version: number;
  last_modified_at: string;
}

export interface BlueprintDetail {
  id: string;
  name: string;
  description: string;
  distribution?: string;
  image_requests: { architecture: string; image_type: string }[];
  customizations: Record<string, unknown>;
}

export interface ComposerExport {
  blueprint: Record<string, unknown>;
  toml: string;
  warnings: string[];
  version: number;
}

/** The id of the blueprint named (an id is taken as it is; the service answers 404 for one that is not there). */
export async function resolveBlueprint(api: ApiClient, spec: CommandSpec, nameOrId: string | undefined): Promise<string> {
  if (!nameOrId) throw new UsageError(`${commandName(spec)}: a blueprint name or id is required`, commandName(spec));
  if (UUID.test(nameOrId)) return nameOrId.toLowerCase();
  const found = await api.get<{ data: BlueprintItem[] }>('/blueprints', { name: nameOrId, limit: 1 });
  if (!found.data.length) throw new CliError(`no blueprint named "${nameOrId}" (see "ibs blueprints list")`);
  return found.data[0]!.id;
}

/** Every live blueprint of the organization, most recently saved first (pages of 100). */
export async function listAllBlueprints(api: ApiClient, search?: string): Promise<BlueprintItem[]> {
  const all: BlueprintItem[] = [];
  for (;;) {
    const page = await api.get<{ meta: { count: number }; data: BlueprintItem[] }>('/blueprints', { limit: 100, offset: all.length, search });
    all.push(...page.data);
    if (page.data.length === 0 || all.length >= page.meta.count) return all;
  }
}

/** `--version N` (a saved version) for GET /blueprints/{id} and the composer export. */
export function versionOption(spec: CommandSpec, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[1-9]\d*$/.test(value)) throw new UsageError(`${commandName(spec)}: --version must be a saved version (1, 2, ...)`, commandName(spec));
  return Number(value);
}

export function printWarnings(io: Io, where: string, warnings: string[]): void {
  for (const w of warnings) io.stderr.write(`ibs: warning: ${where}: ${w}\n`);
}

/** The blueprint in composer's shape, from the service (GET /blueprints/{id}/export?format=composer). */
export const fetchComposerExport = (api: ApiClient, id: string, version?: number): Promise<ComposerExport> =>
  api.get<ComposerExport>(`/blueprints/${id}/export`, { format: 'composer', version });
