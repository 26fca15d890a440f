/**
 * Checks our API's answers against the hosted Image Builder spec (../shared/reference/image-builder-api/api.yaml,
 * OpenAPI 3.0) with ajv: each response is matched to the hosted operation (method + path template) and validated
 * against the schema the spec declares for its status; errors the spec does not declare must be an HTTPErrorList.
 * Where we knowingly go beyond the hosted service, the difference is excepted by name in HOSTED_EXCEPTIONS, and
 * nowhere else; our own operations are checked against our OpenAPI document instead.
 */
import { resolve } from 'node:path';
import { Ajv as AjvDraft07, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { openapiDocument } from '../../layers/src/api/generated/openapi-document.ts';
import { addSpecFormats, describeErrors, type Document, indexOperations, loadOpenApiSpec, pointer, type Schema, type SpecExceptions } from './openapi-schemas.ts';

export const HOSTED_SPEC_PATH = resolve(import.meta.dirname, '../../../shared/reference/image-builder-api/api.yaml');

/** Every way our answers may differ from the hosted spec, by name. */
export const HOSTED_EXCEPTIONS = {
  /** Our operations the hosted spec does not have (x-ibs-extension in openapi.yaml): checked against our document. */
  operations: ['getComposeManifests', 'getComposeSboms', 'getComposeLogs', 'cancelCompose', 'depsolve', 'previewManifest', 'importBlueprint'],
  /** Values our enumerations add: distributions and image types (with their aliases) the hosted service lacks. */
  enumValues: {
    Distributions: ['almalinux-9', 'rocky-9', 'test-distro-1'],
    ImageTypes: [
      'container', 'gce', 'gce-rhui', 'generic-ami', 'generic-container', 'generic-oci', 'generic-ova', 'generic-qcow2', 'generic-vhd',
      'generic-vmdk', 'generic-wsl', 'minimal-raw', 'minimal-raw-xz', 'ova', 'qcow2', 'tar', 'vmdk', 'vshpere',
    ],
  } as Record<string, string[]>,
  /**
   * oneOf the hosted spec cannot satisfy, read as anyOf: an aws.s3 upload status `{url}` is both an AWSS3UploadStatus
   * and an OCIUploadStatus (the same shape), so no aws.s3 answer of the hosted service itself passes its oneOf.
   */
  oneOfAsAnyOf: ['UploadStatus.options'],
} satisfies SpecExceptions & { operations: string[] };

export interface Answer {
  method: string;
  /** The request path below the API base, without the query (e.g. /composes/0f…). */
  path: string;
  status: number;
  contentType: string | null;
  /** Parsed JSON body; undefined when the body was empty. */
  body: unknown;
}

export interface Checked {
  operationId: string;
  /** Which document judged it: the hosted spec or (for our own operations) ours. */
  against: 'hosted' | 'ours';
  status: number;
  problems: string[];
}

/** The hosted spec, or undefined when ../shared is not beside the checkout. */
export const loadHostedSpec = (path = HOSTED_SPEC_PATH): Document | undefined => loadOpenApiSpec(path, 'hosted', HOSTED_EXCEPTIONS);

/** Validates answers against the hosted spec (our own operations against our document). */
export function createConformanceChecker(hosted: Document) {
  const draft07 = new AjvDraft07({ strict: false, allErrors: true, validateSchema: false });
  const ajv2020 = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  for (const a of [draft07, ajv2020]) addSpecFormats(a);
  draft07.addSchema(hosted as unknown as Schema, 'hosted');
  ajv2020.addSchema(openapiDocument as unknown as Schema, 'ours');
  const hostedOps = indexOperations(hosted);
  const ourOps = indexOperations(openapiDocument as unknown as Document);
  const compiled = new Map<string, ValidateFunction>();

  /** The validator of one response schema, by reference into its document (inline schemas included). */
  const validatorFor = (doc: 'hosted' | 'ours', template: string, method: string, status: string): ValidateFunction => {
    const ref = `${doc}#/${pointer('paths', template, method.toLowerCase(), 'responses', status, 'content', 'application/json', 'schema')}`;
    let validate = compiled.get(ref);
    if (!validate) {
      validate = (doc === 'hosted' ? draft07 : ajv2020).compile({ $ref: ref });
      compiled.set(ref, validate);
    }
    return validate;
  };
  const errorList = (doc: 'hosted' | 'ours'): ValidateFunction => {
    const ref = `${doc}#/components/schemas/HTTPErrorList`;
    const validate = compiled.get(ref) ?? (doc === 'hosted' ? draft07 : ajv2020).compile({ $ref: ref });
    compiled.set(ref, validate);
    return validate;
  };

  return {
    /** Which hosted operation (if any) answers `method path`. */
    hostedOperationOf: (method: string, path: string) => hostedOps.find(method, path)?.operationId,
    check(answer: Answer): Checked {
      const hostedHit = hostedOps.find(answer.method, answer.path);
      const ourHit = ourOps.find(answer.method, answer.path);
      const own = !hostedHit && ourHit && HOSTED_EXCEPTIONS.operations.includes(ourHit.operationId);
      const hit = own ? ourHit : hostedHit;
      const against = own ? 'ours' : 'hosted';
      if (!hit) return { operationId: `${answer.method} ${answer.path}`, against, status: answer.status, problems: ['no operation of the hosted spec (nor an excepted one of ours) answers this'] };
      const problems: string[] = [];
      const declared = hit.operation.responses?.[String(answer.status)];
      let validate: ValidateFunction | undefined;
      if (declared) {
        if (declared.content?.['application/json']?.schema) validate = validatorFor(against, hit.template, answer.method, String(answer.status));
      } else if (answer.status >= 400) {
        validate = errorList(against);
      } else {
        problems.push(`status ${answer.status} is not one the spec declares (${Object.keys(hit.operation.responses ?? {}).join(', ')})`);
      }
      if (validate) {
        if (answer.body !== undefined && !answer.contentType?.startsWith('application/json')) problems.push(`content-type ${answer.contentType}, not application/json`);
        if (!validate(answer.body)) {
          problems.push(...describeErrors(validate));
        }
      }
      return { operationId: hit.operationId, against, status: answer.status, problems };
    },
  };
}
