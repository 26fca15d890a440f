/**
 * The BlueprintStore port: blueprints per organization, every save a new version, names unique among an organization's
 * live blueprints, deletes soft. One store serves every API that takes blueprints (hosted, Weldr, cloud API).
 */
import { DuplicateError } from '../errors.ts';

export interface StoredBlueprint {
  id: string;
  orgId: string;
  name: string;
  description: string;
  /** 1 when created; each update adds one. */
  version: number;
  /** The blueprint itself as the API accepted it (distribution, image_requests, customizations, ...). */
  body: Record<string, unknown>;
  createdAt: string;
  /** When the current version was saved. */
  updatedAt: string;
}

export interface BlueprintVersion {
  version: number;
  name: string;
  description: string;
  body: Record<string, unknown>;
  savedAt: string;
}

export interface BlueprintListOptions {
  /** Exact name. */
  name?: string;
  /** Case-insensitive substring of the name or the description. */
  search?: string;
  limit: number;
  offset: number;
}

export interface BlueprintPage {
  /** Most recently saved first. */
  items: StoredBlueprint[];
  total: number;
}

export interface BlueprintChange {
  name: string;
  description: string;
  body: Record<string, unknown>;
}

export interface BlueprintUpdateOptions {
  /** Save only over this version (optimistic concurrency). */
  expectedVersion?: number;
  at?: string;
}

export interface BlueprintStore {
  /** Stores version 1; a live blueprint of the organization with the same name → BlueprintNameTakenError. */
  create(blueprint: StoredBlueprint): Promise<void>;
  /** The current version of a live blueprint. */
  get(orgId: string, id: string): Promise<StoredBlueprint | undefined>;
  /** One saved version of a live blueprint. */
  getVersion(orgId: string, id: string, version: number): Promise<BlueprintVersion | undefined>;
  /** Every saved version, oldest first. */
  listVersions(orgId: string, id: string): Promise<BlueprintVersion[]>;
  list(orgId: string, options: BlueprintListOptions): Promise<BlueprintPage>;
  /**
   * Saves a new version (optionally only when the current one is `expectedVersion`); undefined when the blueprint is
   * gone or changed meanwhile. A rename onto another live blueprint's name → BlueprintNameTakenError.
   */
  update(orgId: string, id: string, change: BlueprintChange, options?: BlueprintUpdateOptions): Promise<StoredBlueprint | undefined>;
  /** Soft delete: gone from reads and lists, its name free again. False when there was no live blueprint. */
  delete(orgId: string, id: string, at?: string): Promise<boolean>;
}

export class BlueprintNameTakenError extends DuplicateError {
  constructor(readonly blueprintName: string) {
    super(`a blueprint named "${blueprintName}" already exists in this organization: names must be unique`);
  }
}

/** Case-insensitive "contains" for list searches. */
const matchesSearch = (b: Pick<StoredBlueprint, 'name' | 'description'>, search: string): boolean => {
  const needle = search.toLowerCase();
  return b.name.toLowerCase().includes(needle) || b.description.toLowerCase().includes(needle);
};

/** One page of an organization's live blueprints, filtered and ordered the same way by every adapter. */
export function pageBlueprints(live: StoredBlueprint[], { name, search, limit, offset }: BlueprintListOptions): BlueprintPage {
  const matching = live
    .filter((b) => (name === undefined || b.name === name) && (search === undefined || matchesSearch(b, search)))
    .sort((a, b) => (a.updatedAt === b.updatedAt ? (a.id < b.id ? 1 : -1) : a.updatedAt < b.updatedAt ? 1 : -1));
  return { items: matching.slice(offset, offset + limit), total: matching.length };
}

/** The version an update saves. */
export const nextBlueprintVersion = (current: StoredBlueprint, change: BlueprintChange, at = new Date().toISOString()): StoredBlueprint => ({
  ...current,
  ...change,
  version: current.version + 1,
  updatedAt: at,
});
