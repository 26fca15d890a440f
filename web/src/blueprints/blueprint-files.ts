/**
 * Blueprint files in and out through the API's import/export extension (`POST /blueprints/import`,
 * `GET /blueprints/{id}/export?format=composer`): the service converts TOML, so the browser carries no TOML parser.
 */
import type { ApiClient } from '../api/client.ts';
import type { components } from '../../../layers/src/api/generated/openapi-types.ts';

export type BlueprintImportResponse = components['schemas']['BlueprintImportResponse'];
export type ComposerBlueprintExport = components['schemas']['ComposerBlueprintExport'];
export type BlueprintExportFormat = 'toml' | 'json' | 'hosted';

export interface ImportChoices {
  /** Only needed when the file names none and no blueprint of its name exists. */
  distribution?: string;
  architecture?: string;
  imageType?: string;
}

/** Sends a file's text to the service, which saves it (a new blueprint, or a new version of the one of its name). */
export async function importBlueprintFile(api: ApiClient, fileName: string, text: string, choices: ImportChoices = {}): Promise<BlueprintImportResponse> {
  const format = /^\s*[{[]/.test(text) || fileName.toLowerCase().endsWith('.json') ? 'json' : 'toml';
  const body = {
    blueprint: text,
    format,
    ...(choices.distribution ? { distribution: choices.distribution } : {}),
    ...(choices.imageType ? { image_requests: [{ architecture: choices.architecture || 'x86_64', image_type: choices.imageType, upload_request: { type: 'aws.s3', options: {} } }] } : {}),
  };
  return api.send<BlueprintImportResponse>('POST', '/blueprints/import', body);
}

/** A blueprint version as a file to save: composer-cli TOML or JSON, or the hosted service's export JSON. */
export async function exportBlueprintFile(api: ApiClient, id: string, format: BlueprintExportFormat, version?: number): Promise<{ text: string; type: string; extension: string; warnings: string[] }> {
  if (format === 'hosted') {
    const exported = await api.get<unknown>(`/blueprints/${id}/export`);
    return { text: JSON.stringify(exported, null, 2), type: 'application/json', extension: 'json', warnings: [] };
  }
  const exported = await api.get<ComposerBlueprintExport>(`/blueprints/${id}/export`, { format: 'composer', version });
  return format === 'toml'
    ? { text: exported.toml, type: 'application/toml', extension: 'toml', warnings: exported.warnings }
    : { text: JSON.stringify(exported.blueprint, null, 2), type: 'application/json', extension: 'json', warnings: exported.warnings };
}
