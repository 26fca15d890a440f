/**
 * Upload types of the hosted API that requests may name (the schema accepts them, so a client sees the real reason)
 * but this service cannot deliver yet: each is refused with a 400 naming it, never a schema error or a 500.
 */
import { ValidationError } from '../errors.ts';

export const UNSUPPORTED_UPLOAD_TYPES: readonly string[] = ['gcp', 'azure', 'oci.objectstorage'];

/** Throws a ValidationError on `field` when `type` is one of the upload types not implemented yet. */
export function ensureUploadTypeSupported(type: string | undefined, field: string): void {
  if (type === undefined || !UNSUPPORTED_UPLOAD_TYPES.includes(type)) return;
  throw new ValidationError(field, `upload type "${type}" is not supported by this service yet; use aws.s3 (a download link of the image)`);
}
