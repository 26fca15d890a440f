/** Queue message bodies. Kept small: the compose record is the source of truth. */
export interface ManifestJob {
  kind: 'manifest';
  orgId: string;
  composeId: string;
}

export interface BuildJob {
  kind: 'build';
  orgId: string;
  composeId: string;
}

export const isComposeJob = (body: unknown): body is ManifestJob | BuildJob =>
  typeof body === 'object' &&
  body !== null &&
  typeof (body as ManifestJob).orgId === 'string' &&
  typeof (body as ManifestJob).composeId === 'string';
