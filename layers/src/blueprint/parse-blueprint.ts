import { parse as parseToml, TomlError } from 'smol-toml';
import { ValidationError } from '../errors.ts';
import type { Blueprint } from './blueprint.ts';
import { normalizeBlueprint } from './normalize-blueprint.ts';
import { BLUEPRINT_SHAPE, checkShape, type ShapeIssue } from './shape.ts';

export interface ParsedBlueprint {
  blueprint: Blueprint;
  /** Keys the blueprint format does not define (dotted paths), reported rather than silently dropped. */
  unknownKeys: string[];
}

export type BlueprintFormat = 'toml' | 'json';

/** JSON if it starts with "{", TOML otherwise (composer-cli accepts both). */
export const detectBlueprintFormat = (text: string): BlueprintFormat => (text.trimStart().startsWith('{') ? 'json' : 'toml');

/**
 * Parses a composer blueprint (TOML or JSON). Malformed documents and wrongly typed values raise a ValidationError
 * naming the field; unknown keys are returned so callers can warn (CLI) or reject (strict API).
 */
export function parseBlueprint(text: string, format: BlueprintFormat = detectBlueprintFormat(text), field = 'blueprint'): ParsedBlueprint {
  let raw: unknown;
  try {
    raw = format === 'json' ? JSON.parse(text) : parseToml(text);
  } catch (err) {
    const where = err instanceof TomlError ? ` (line ${err.line}, column ${err.column})` : '';
    throw new ValidationError(field, `not a valid ${format.toUpperCase()} blueprint${where}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  return blueprintFromObject(raw, field);
}

/** Type-checks an already decoded blueprint object, fills in the empty defaults and applies upstream's normalizations. */
export function blueprintFromObject(raw: unknown, field = 'blueprint'): ParsedBlueprint {
  const unknownKeys: string[] = [];
  const errors: ShapeIssue[] = [];
  checkShape(raw, BLUEPRINT_SHAPE, '', unknownKeys, errors);
  if (errors.length > 0) {
    const first = errors[0];
    throw new ValidationError(first.field ? `${field}.${first.field}` : field, first.message);
  }
  const bp = raw as Partial<Blueprint>;
  const blueprint = normalizeBlueprint(
    { ...bp, packages: bp.packages ?? [], groups: bp.groups ?? [], customizations: bp.customizations ?? {} },
    field,
  );
  return { blueprint, unknownKeys };
}
