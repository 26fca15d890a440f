/**
 * Checks the cloud API v2 answers against osbuild-composer's spec (../shared/reference/composer-api/openapi.v2.yml,
 * OpenAPI 3.0) with ajv, as test/support/hosted-conformance.ts does for the hosted API: each answer is matched to its
 * operation (method + path template) and validated against the schema declared for its status; an error status the
 * operation does not declare (or declares as text/plain, where composer itself sends JSON) must be an `Error`.
 * Where we knowingly differ, the difference is named in COMPOSER_EXCEPTIONS and nowhere else.
 */
import { resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { addSpecFormats, describeErrors, type Document, indexOperations, loadOpenApiSpec, pointer, type Schema, type SpecExceptions } from '../support/openapi-schemas.ts';

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
} satisfies SpecExceptions;

/** The composer spec as JSON Schema, or undefined when ../shared is not beside the checkout. */
export const loadComposerSpec = (path = COMPOSER_SPEC_PATH): Document | undefined => loadOpenApiSpec(path, 'composer', COMPOSER_EXCEPTIONS);

export interface ComposerChecked {
  operationId: string;
  status: number;
  problems: string[];
}

/** Validates answers (`path` below the API base, without the query) against the composer spec. */
export function createComposerChecker(doc: Document) {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addSpecFormats(ajv);
  ajv.addSchema(doc as unknown as Schema, 'composer');
  const operations = indexOperations(doc);
  const compiled = new Map<string, ValidateFunction>();
  const validator = (ref: string) => {
    let validate = compiled.get(ref);
    if (!validate) compiled.set(ref, (validate = ajv.compile({ $ref: ref })));
    return validate;
  };
  return {
    check(answer: { method: string; path: string; status: number; contentType: string | null; body: unknown }): ComposerChecked {
      const hit = operations.find(answer.method, answer.path);
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
        if (!validate(answer.body)) problems.push(...describeErrors(validate));
      }
      return { operationId: hit.operation.operationId, status: answer.status, problems };
    },
  };
}
