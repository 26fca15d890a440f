/**
 * Checks the cloud API v2 answers against osbuild-composer's spec (../shared/reference/composer-api/openapi.v2.yml,
 * OpenAPI 3.0) with ajv, as test/support/hosted-conformance.ts does for the hosted API: each answer is matched to its
 * operation (method + path template) and validated against the schema declared for its status; an error status the
 * operation does not declare (or declares as text/plain, where composer itself sends JSON) must be an `Error`.
 * Where we knowingly differ, the difference is named in COMPOSER_EXCEPTIONS and nowhere else.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';
import { parse } from 'yaml';

export const COMPOSER_SPEC_PATH = resolve(import.meta.dirname, '../../../shared/reference/composer-api/openapi.v2.yml');

export const COMPOSER_EXCEPTIONS = {
  /** Image types our distributions add (the test distribution's `tar`). */
  enumValues: { ImageTypes: ['tar'] } as Record<string, string[]>,
  /** An aws.s3 upload status `{url}` is both an AWSS3UploadStatus and an OCIUploadStatus: the spec's oneOf read as anyOf. */
  oneOfAsAnyOf: ['UploadStatus.options'],
  /**
   * allOf an ObjectReference and an object with additionalProperties: false, which no answer satisfies (the second
   * part refuses href, id and kind that the first requires): read with those three allowed in the second part.
   */
  objectReferenceAllowed: ['DistributionDetails'],
};

type Schema = Record<string, unknown>;
type Operation = { operationId: string; responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> };
interface Document {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Schema> };
}

function toJsonSchema(node: unknown, at: string): unknown {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, at));
  if (node === null || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node as Schema)) {
    if (key === '$ref' && typeof value === 'string') out.$ref = value.startsWith('#') ? `composer${value}` : value;
    else if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value as Schema).map(([name, s]) => [name, toJsonSchema(s, `${at}.${name}`)]));
    } else if (key !== 'x-go-type' && key !== 'x-go-name') out[key] = toJsonSchema(value, at);
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
  }
  if (COMPOSER_EXCEPTIONS.oneOfAsAnyOf.includes(at) && out.oneOf) {
    out.anyOf = out.oneOf;
    delete out.oneOf;
  }
  return out;
}

/** The composer spec as JSON Schema, or undefined when ../shared is not beside the checkout. */
export function loadComposerSpec(path = COMPOSER_SPEC_PATH): Document | undefined {
  if (!existsSync(path)) return undefined;
  const raw = parse(readFileSync(path, 'utf8')) as Document;
  const schemas = Object.fromEntries(Object.entries(raw.components.schemas).map(([name, s]) => [name, toJsonSchema(s, name) as Schema]));
  for (const name of COMPOSER_EXCEPTIONS.objectReferenceAllowed) {
    const strict = (schemas[name]!.allOf as Schema[])[1]!;
    strict.properties = { ...(strict.properties as Schema), href: { type: 'string' }, id: { type: 'string' }, kind: { type: 'string' } };
  }
  for (const [name, extra] of Object.entries(COMPOSER_EXCEPTIONS.enumValues)) schemas[name]!.enum = [...(schemas[name]!.enum as string[]), ...extra];
  const paths = toJsonSchema(raw.paths, 'paths') as Document['paths'];
  return { paths, components: { schemas } };
}

const pointer = (...parts: string[]) => parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

export interface ComposerChecked {
  operationId: string;
  status: number;
  problems: string[];
}

/** Validates answers (`path` below the API base, without the query) against the composer spec. */
export function createComposerChecker(doc: Document) {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  (((formats as { default?: unknown }).default ?? formats) as (x: unknown) => void)(ajv);
  ajv.addFormat('uint64', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
  ajv.addSchema(doc as unknown as Schema, 'composer');
  const operations: { method: string; template: string; regex: RegExp; operation: Operation }[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'post', 'put', 'delete']) {
      const operation = item[method] as Operation | undefined;
      if (operation) operations.push({ method: method.toUpperCase(), template, regex: new RegExp(`^${template.replace(/\/$/, '').replace(/\{[^}]+\}/g, '[^/]+')}/?$`), operation });
    }
  }
  operations.sort((a, b) => b.template.replace(/\{[^}]+\}/g, '').length - a.template.replace(/\{[^}]+\}/g, '').length);
  const compiled = new Map<string, ValidateFunction>();
  const validator = (ref: string) => {
    let validate = compiled.get(ref);
    if (!validate) compiled.set(ref, (validate = ajv.compile({ $ref: ref })));
    return validate;
  };
  return {
    check(answer: { method: string; path: string; status: number; contentType: string | null; body: unknown }): ComposerChecked {
      const hit = operations.find((o) => o.method === answer.method && o.regex.test(answer.path));
      if (!hit) {
        // No route: composer's router still answers with an Error (ResourceNotFound, MethodNotAllowed).
        const problems = answer.status >= 400 && validator('composer#/components/schemas/Error')(answer.body) ? [] : ['no operation of the composer spec answers this'];
        return { operationId: `${answer.method} ${answer.path}`, status: answer.status, problems };
      }
      const problems: string[] = [];
      const declared = hit.operation.responses?.[String(answer.status)];
      let validate: ValidateFunction | undefined;
      if (declared?.content?.['application/json']?.schema) {
        validate = validator(`composer#/${pointer('paths', hit.template, answer.method.toLowerCase(), 'responses', String(answer.status), 'content', 'application/json', 'schema')}`);
      } else if (answer.status >= 400) {
        validate = validator('composer#/components/schemas/Error');
      } else if (!declared) {
        problems.push(`status ${answer.status} is not one the spec declares (${Object.keys(hit.operation.responses ?? {}).join(', ')})`);
      }
      if (validate) {
        if (!answer.contentType?.startsWith('application/json')) problems.push(`content-type ${answer.contentType}, not application/json`);
        if (!validate(answer.body)) problems.push(...(validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`));
      }
      return { operationId: hit.operation.operationId, status: answer.status, problems };
    },
  };
}
