import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { openapiDocument } from './generated/openapi-document.ts';
import { ValidationError } from '../errors.ts';
import { overLimitMessage } from '../blueprint/limits.ts';

// OpenAPI annotations (example, x-*) are not JSON Schema keywords: strict mode would reject them.
// validateSchema: false – checking our own document against the meta-schema costs ~145 ms of Lambda cold start; the
// tests compile every schema of it instead.
const ajv = new Ajv2020({ strict: false, allErrors: true, useDefaults: false, coerceTypes: false, validateSchema: false });
// ajv-formats is CommonJS: its default export arrives as the module object under NodeNext.
(((formats as { default?: unknown }).default ?? formats) as (a: Ajv2020) => void)(ajv);
ajv.addSchema(openapiDocument as unknown as object, 'openapi');

const validators = new Map<string, ValidateFunction>();

function validatorFor(schemaName: string): ValidateFunction {
  let validate = validators.get(schemaName);
  if (!validate) {
    validate = ajv.compile({ $ref: `openapi#/components/schemas/${schemaName}` });
    validators.set(schemaName, validate);
  }
  return validate;
}

const fieldOf = (error: ErrorObject): string =>
  error.instancePath
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '') || '(body)';

/** Turns the most useful ajv error into one sentence: where, what was wrong, what is allowed. */
export function describeSchemaError(error: ErrorObject): ValidationError {
  const field = fieldOf(error);
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return new ValidationError(field, `unknown field "${String(p.additionalProperty)}"`);
    case 'required':
      return new ValidationError(field, `missing required field "${String(p.missingProperty)}"`);
    case 'enum':
      return new ValidationError(field, `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
    case 'type':
      return new ValidationError(field, `must be of type ${String(p.type)}`);
    case 'maxItems': {
      // Small maxima are the API's shape (one image request); large ones are request limits.
      const limit = Number(p.limit);
      return new ValidationError(field, limit >= 100 ? overLimitMessage(limit) : `must have at most ${limit} ${limit === 1 ? 'entry' : 'entries'}`);
    }
    case 'maxLength':
      return new ValidationError(field, `is longer than the limit of ${String(p.limit)} characters`);
    default:
      return new ValidationError(field, error.message ?? 'is invalid');
  }
}

/** Validates `value` against a component schema of the OpenAPI document; throws a 400 naming the field. */
export function validateSchema<T>(schemaName: string, value: unknown): T {
  const validate = validatorFor(schemaName);
  if (!validate(value)) {
    const errors = validate.errors ?? [];
    // oneOf/anyOf errors are noisy: prefer the concrete ones (a request limit, unknown field, missing field, wrong enum).
    const rank = (e: ErrorObject) => ['maxItems', 'additionalProperties', 'required', 'enum', 'type'].indexOf(e.keyword);
    const best = [...errors].sort((a, b) => (rank(a) < 0 ? 99 : rank(a)) - (rank(b) < 0 ? 99 : rank(b)))[0];
    throw best ? describeSchemaError(best) : new ValidationError('(body)', 'is invalid');
  }
  return value as T;
}
