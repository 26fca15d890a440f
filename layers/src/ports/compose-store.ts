import type { Compose, ComposePatch, ComposeState } from '../compose/compose.ts';

export interface ListOptions {
  limit: number;
  offset: number;
}

/** Options of an organization's compose list. */
export interface ComposeListOptions extends ListOptions {
  /** Only composes created at or after this ISO time (the hosted list shows the last 14 days); `total` counts those. */
  createdSince?: string;
  /** Only composes in these states; `total` counts those (compose/compose-list-filter.ts). */
  states?: readonly ComposeState[];
  /** Only composes whose request named this distribution; `total` counts those. */
  distribution?: string;
}

export interface ComposePage {
  items: Compose[];
  /** Total number of composes of the organization. */
  total: number;
  /** Records of this page that could not be read (damaged): left out of `items`, so one bad record fails only itself. */
  unreadable?: { id: string; reason: string }[];
}

/** What one organization may have at the moment a compose is admitted (quotas of the hosted service and ours). */
export interface AdmissionQuota {
  /** Composes created at or after this ISO time count toward `maxInWindow` (soft-deleted ones too). */
  windowStart: string;
  /** Most composes created in the window; the new one is refused when this many exist. */
  maxInWindow: number;
  /** Most unfinished composes (pending, queued, building, uploading) at once. */
  maxUnfinished: number;
}

/** Why a compose was not admitted: the quota it would exceed and how much of it is used. */
export interface AdmissionRefusal {
  quota: 'builds-per-window' | 'concurrent-builds';
  used: number;
}

export interface BlueprintComposeQuery extends ListOptions {
  blueprintId: string;
  /** Only composes of this blueprint version. */
  version?: number;
}

export interface TransitionRequest {
  /** The transition only happens when the current state is one of these. */
  from: readonly ComposeState[];
  to: ComposeState;
  set?: ComposePatch;
  /** Also require the compose to be owned by this runner. */
  runnerId?: string;
  /** Also require the compose's build job to be this queue message. */
  jobMessageId?: string;
  /** Also require the compose's attempt to be lower than this (no other claim since the caller read it). */
  attemptBelow?: number;
  /** Also require the owning delivery's receive count (`delivery`, else `attempt`) to be lower than this. */
  deliveryBelow?: number;
  /** Also require the last heartbeat to be older than this ISO time, or missing (its runner stopped). */
  heartbeatBefore?: string;
}

export interface PatchConditions {
  /** Only patch while the compose is in one of these states. */
  state?: readonly ComposeState[];
  /** Only patch while this runner owns the compose. */
  runnerId?: string;
}

/**
 * Persistence of composes, keyed by (organization, compose id) everywhere.
 * Conditional operations return `undefined` when their condition does not hold and change nothing.
 */
export interface ComposeStore {
  /** Insert a new compose; throws if the id exists. */
  create(compose: Compose): Promise<void>;
  get(orgId: string, id: string): Promise<Compose | undefined>;
  /** Newest first. */
  list(orgId: string, options: ComposeListOptions): Promise<ComposePage>;
  /** The live composes of one blueprint (and version), newest first; `total` counts that blueprint's (version's). */
  listByBlueprint(orgId: string, query: BlueprintComposeQuery): Promise<ComposePage>;
  /**
   * Insert a new compose only when its organization stays within `quota`, atomically: of concurrent calls racing for
   * the last slot exactly one wins. Returns the refusal (and writes nothing) otherwise; throws if the id exists.
   */
  createWithinQuota(compose: Compose, quota: AdmissionQuota): Promise<AdmissionRefusal | undefined>;
  /**
   * Insert several new composes of one organization (a blueprint's image requests) only when all of them fit in
   * `quota`, atomically: all are written or none. The refusal reports the usage before them; throws if an id exists.
   */
  createAllWithinQuota(composes: readonly Compose[], quota: AdmissionQuota): Promise<AdmissionRefusal | undefined>;
  /** Conditional state change; also enforces the lifecycle (TRANSITIONS). Returns the updated compose. */
  transition(orgId: string, id: string, request: TransitionRequest): Promise<Compose | undefined>;
  /** Conditional update of non-state fields (progress, heartbeat, cancel request). */
  patch(orgId: string, id: string, set: ComposePatch, conditions?: PatchConditions): Promise<Compose | undefined>;
  /**
   * Claims a one-time follow-up task of a compose (e.g. `koji-settle`) with a conditional write: true only for the one
   * caller that made the claim, so the task runs once however many workers race for it. Without a lease the claim is
   * for good. With one it is a lease: taken when the task has no claim or its lease has run out (its holder died),
   * renewed (true, `seconds` from now) when `lease.owner` holds it; refused while another owner's lease runs.
   */
  claimTask(orgId: string, id: string, task: string, lease?: TaskLease): Promise<boolean>;
  /** Composes in a state whose heartbeat (or start) is older than `before` – for the reaper, across organizations. */
  listStale(states: readonly ComposeState[], before: string, limit: number): Promise<Compose[]>;
}

/** A claim that lapses: held by `owner` until `seconds` after it was made or last renewed. */
export interface TaskLease {
  owner: string;
  seconds: number;
}

export class ComposeExistsError extends Error {
  constructor(id: string) {
    super(`compose ${id} already exists`);
    this.name = 'ComposeExistsError';
  }
}

/** Admission gave up because concurrent admissions of the same organization kept winning: the caller may retry. */
export class AdmissionBusyError extends Error {
  constructor(orgId: string, attempts: number) {
    super(`the quota of organization ${orgId} kept changing under concurrent admissions (${attempts} attempts)`);
    this.name = 'AdmissionBusyError';
  }
}

/** The one organization of a batch admission (createAllWithinQuota); an empty or mixed batch is a programming error. */
export function sameOrganization(composes: readonly Compose[]): string {
  const orgId = composes[0]?.orgId;
  if (orgId === undefined || composes.some((c) => c.orgId !== orgId)) throw new Error('a batch admission needs composes of exactly one organization');
  return orgId;
}
