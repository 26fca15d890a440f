/**
 * Reads an upstream OpenAPI 3.0 spec as JSON Schema for ajv, with the differences a conformance suite allows named by
 * the caller: one loader for the hosted Image Builder spec (hosted-conformance.ts) and composer's cloud API v2 spec
 * (test/composer-v2/composer-conformance.ts), so the two suites differ only in their exception lists.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Ajv, ValidateFunction } from 'ajv';
import formats from 'ajv-formats';
import { parse } from 'yaml';

export type Schema = Record<string, unknown>;
export type Operation = { operationId: string; responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> };
export interface Document {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Schema> };
}

/** Where a suite knowingly reads the spec differently from how it is written. */
export interface SpecExceptions {
  /** Values our enumerations add, by schema name. */
  enumValues?: Record<string, string[]>;
  /** `Schema.property` paths whose oneOf cannot be satisfied (two branches of the same shape): read as anyOf. */
  oneOfAsAnyOf?: string[];
  /**
   * Schemas written as allOf an ObjectReference and an object with additionalProperties: false, which no answer
   * satisfies (the second part refuses href, id and kind that the first requires): those three allowed in the second.
   */
  objectReferenceAllowed?: string[];
}

/** OpenAPI 3.0 → JSON Schema: `nullable` as a null type, local refs into `base`, Go generator hints dropped, oneOf exceptions applied. */
function toJsonSchema(node: unknown, base: string, at: string, exceptions: SpecExceptions): unknown {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, base, at, exceptions));
  if (node === null || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node as Schema)) {
    if (key === '$ref' && typeof value === 'string') out.$ref = value.startsWith('#') ? `${base}${value}` : value;
    else if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value as Schema).map(([name, s]) => [name, toJsonSchema(s, base, `${at}.${name}`, exceptions)]));
    } else if (key !== 'x-go-type' && key !== 'x-go-name') out[key] = toJsonSchema(value, base, at, exceptions);
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.$ref) return { anyOf: [{ $ref: out.$ref }, { type: 'null' }] };
  }
  if (exceptions.oneOfAsAnyOf?.includes(at) && out.oneOf) {
    out.anyOf = out.oneOf;
    delete out.oneOf;
  }
  return out;
}

/**
 * The spec at `path` as JSON Schema to be added to ajv under the id `base` (its local refs point there), with the
 * exceptions applied; undefined when the file is absent (../shared is not beside the checkout).
 */
export function loadOpenApiSpec(path: string, base: string, exceptions: SpecExceptions): Document | undefined {
  if (!existsSync(path)) return undefined;
  const raw = parse(readFileSync(path, 'utf8')) as Document;
  const schemas = Object.fromEntries(Object.entries(raw.components.schemas).map(([name, s]) => [name, toJsonSchema(s, base, name, exceptions) as Schema]));
  for (const name of exceptions.objectReferenceAllowed ?? []) {
    const strict = (schemas[name]!.allOf as Schema[])[1]!;
    strict.properties = { ...(strict.properties as Schema), href: { type: 'string' }, id: { type: 'string' }, kind: { type: 'string' } };
  }
  for (const [name, extra] of Object.entries(exceptions.enumValues ?? {})) schemas[name]!.enum = [...(schemas[name]!.enum as string[]), ...extra];
  const paths = toJsonSchema(raw.paths, base, 'paths', exceptions) as Document['paths'];
  return { ...raw, paths, components: { ...raw.components, schemas } };
}

/** ajv-formats plus the spec's `uint64`. */
export function addSpecFormats(ajv: Ajv): void {
  (((formats as { default?: unknown }).default ?? formats) as (x: unknown) => void)(ajv);
  ajv.addFormat('uint64', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
}

/** A JSON pointer of path segments (`~` and `/` escaped, then URI-encoded for a $ref). */
export const pointer = (...parts: string[]) => parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

/** ajv's errors as one line each. */
export const describeErrors = (validate: ValidateFunction): string[] =>
  (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);

export interface OperationIndex {
  find(method: string, path: string): { operationId: string; template: string; operation: Operation } | undefined;
}

/** The operations of `doc` by method and path template (a trailing slash optional), literal segments winning over parameters. */
export function indexOperations(doc: Pick<Document, 'paths'>): OperationIndex {
  const entries: { method: string; template: string; regex: RegExp; operation: Operation }[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'post', 'put', 'delete', 'patch']) {
      const operation = item[method] as Operation | undefined;
      const regex = new RegExp(`^${template.replace(/\/$/, '').replace(/\{[^}]+\}/g, '[^/]+')}/?$`);
      if (operation) entries.push({ method: method.toUpperCase(), template, regex, operation });
    }
  }
  // Literal segments win over parameters (as routers match), so more literal characters first.
  entries.sort((a, b) => b.template.replace(/\{[^}]+\}/g, '').length - a.template.replace(/\{[^}]+\}/g, '').length);
  return {
    find: (method, path) => {
      const hit = entries.find((e) => e.method === method && e.regex.test(path));
      return hit && { operationId: hit.operation.operationId, template: hit.template, operation: hit.operation };
    },
  };
}
