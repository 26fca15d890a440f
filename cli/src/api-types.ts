/** Response shapes, from the types generated out of the OpenAPI document (layers/src/api/openapi.yaml). */
import type { components } from '../../layers/src/api/generated/openapi-types.ts';

type Schemas = components['schemas'];
export type DistributionItem = Schemas['DistributionItem'];
export type ArchitectureItem = Schemas['ArchitectureItem'];
export type ComposeRequest = Schemas['ComposeRequest'];
export type ComposeStatus = Schemas['ComposeStatus'] & { history?: { state: string; at: string }[] };
export type ComposesResponse = Schemas['ComposesResponse'];
export type ComposeMetadata = Schemas['ComposeMetadata'];
export type ComposeLogs = Schemas['ComposeLogs'];
export type ComposeManifests = Schemas['ComposeManifests'];
export type Artifact = Schemas['Artifact'];
export type Version = Schemas['Version'];

/** GET /packages (hosted Image Builder shape; version fields are an extension some services add). */
export interface PackagesResponse {
  meta?: { count: number };
  data: { name: string; summary?: string; version?: string; release?: string; epoch?: number | string; arch?: string }[];
}

export const FINAL_STATES = new Set(['success', 'failure', 'cancelled']);

/** The finer `state` when the service reports it, else the Image Builder status. */
export const stateOf = (s: ComposeStatus): string => s.state ?? s.image_status.status;
