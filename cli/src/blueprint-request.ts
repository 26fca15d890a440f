/**
 * Blueprint file → Image Builder API ComposeRequest parts. The inverse of the service's
 * blueprintFromApiCustomizations (layers/src/blueprint/from-api-customizations.ts): what composer-cli users keep in
 * TOML/JSON blueprints goes over the wire as API `customizations`. Blueprint settings the API cannot express are
 * refused by name instead of being dropped.
 */
import { readFileSync } from 'node:fs';
import type { Blueprint } from '../../layers/src/blueprint/blueprint.ts';
import { hostedCustomizationsFromBlueprint } from '../../layers/src/blueprint/composer-blueprint-import.ts';
import { blueprintFromObject, detectBlueprintFormat, parseBlueprint, type ParsedBlueprint } from '../../layers/src/blueprint/parse-blueprint.ts';
import { ValidationError } from '../../layers/src/errors.ts';
import { CliError } from './errors.ts';

type Obj = Record<string, unknown>;

export interface BlueprintFile extends ParsedBlueprint {
  path: string;
}

/** Reads a TOML or JSON blueprint; also accepts osbuild/images build configs (`{"name", "blueprint": {...}}`). */
export function readBlueprintFile(path: string): BlueprintFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read blueprint ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, undefined, {
      cause: error,
    });
  }
  try {
    const format = path.endsWith('.json') ? 'json' : path.endsWith('.toml') ? 'toml' : detectBlueprintFormat(text);
    if (format === 'json') {
      const raw = parseJson(text, path);
      if (isBuildConfig(raw)) return { path, ...blueprintFromObject(raw.blueprint, 'blueprint') };
    }
    return { path, ...parseBlueprint(text, format) };
  } catch (error) {
    if (error instanceof ValidationError) throw new CliError(`blueprint ${path}: ${error.message}`, undefined, { cause: error });
    throw error;
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`blueprint ${path} is not valid JSON: ${(error as Error).message}`, undefined, { cause: error });
  }
}

const isBuildConfig = (raw: unknown): raw is { blueprint: unknown } =>
  typeof raw === 'object' && raw !== null && 'blueprint' in raw && typeof (raw as Obj).blueprint === 'object' && !('customizations' in raw);

/** Blueprint settings with no equivalent in the API's `customizations`. */
export class UnsupportedBlueprintError extends CliError {
  constructor(readonly fields: string[]) {
    super(`the Image Builder API cannot express ${fields.map((f) => `"${f}"`).join(', ')}; remove ${fields.length > 1 ? 'them' : 'it'} from the blueprint`);
    this.name = 'UnsupportedBlueprintError';
  }
}

const omitUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * Converts a Blueprint to API `customizations` (the shared converter of composer-blueprint-import.ts); throws
 * UnsupportedBlueprintError naming what cannot be sent, instead of sending a blueprint with parts left out.
 */
export function apiCustomizationsFromBlueprint(bp: Blueprint): Obj {
  const warnings: string[] = [];
  const out = hostedCustomizationsFromBlueprint(bp, warnings);
  const conflict = warnings.find((w) => w.startsWith('customizations.sshkey'));
  if (conflict) throw new CliError(`blueprint ${conflict.slice(0, conflict.indexOf(';'))}`);
  if (warnings.length) throw new UnsupportedBlueprintError(warnings.map((w) => w.slice(0, w.indexOf(':'))));
  return out;
}

export interface ComposeRequestInput {
  distribution: string;
  architecture: string;
  imageType: string;
  blueprint?: Blueprint;
  imageName?: string;
  size?: number;
  upload?: string;
}

/** A ComposeRequest body (api `ComposeRequest`). */
export function composeRequestFrom(input: ComposeRequestInput): Obj {
  const customizations = input.blueprint ? apiCustomizationsFromBlueprint(input.blueprint) : {};
  const imageName = input.imageName ?? input.blueprint?.name;
  return omitUndefined({
    distribution: input.distribution,
    image_name: imageName,
    image_description: input.blueprint?.description?.slice(0, 250) || undefined,
    image_requests: [
      omitUndefined({
        architecture: input.architecture,
        image_type: input.imageType,
        size: input.size,
        upload_request: input.upload ? { type: input.upload, options: {} } : undefined,
      }),
    ],
    customizations: Object.keys(customizations).length ? customizations : undefined,
  });
}
