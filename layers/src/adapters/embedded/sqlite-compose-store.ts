import type { Compose, ComposePatch, ComposeState } from '../../compose/compose.ts';
import { FINAL_STATES, canTransition } from '../../compose/compose.ts';
import type {
  AdmissionQuota,
  AdmissionRefusal,
  BlueprintComposeQuery,
  ComposeListOptions,
  ComposePage,
  ComposeStore,
  PatchConditions,
  TaskLease,
  TransitionRequest,
} from '../../ports/compose-store.ts';
import { ComposeExistsError, sameOrganization } from '../../ports/compose-store.ts';
import type { SqliteDatabase } from './sqlite.ts';

/** A task's claim in the compose document: when it was claimed for good, or a lease's owner and end. */
type TaskClaim = string | { owner: string; until: string };

/** Not soft-deleted (a damaged document counts as live, so its page reports it). */
const LIVE = "(json_valid(doc) = 0 OR json_extract(doc, '$.deletedAt') IS NULL)";
/** The blueprint a compose was made from: the expression of the composes_by_blueprint index, written identically. */
const BLUEPRINT_ID = "json_extract(doc, '$.blueprint.id')";
const UNFINISHED = `state NOT IN (${FINAL_STATES.map((s) => `'${s}'`).join(', ')})`;

interface Row {
  id: string;
  doc: string;
}

/** A stored document that does not parse: the compose it belongs to is damaged, not the whole store. */
export class DamagedRecordError extends Error {
  constructor(
    readonly composeId: string,
    options?: { cause?: unknown },
  ) {
    super(`the stored record of compose ${composeId} is damaged`, options);
    this.name = 'DamagedRecordError';
  }
}

function parseRow(row: Row): Compose {
  try {
    const doc = JSON.parse(row.doc) as unknown;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
    return doc as Compose;
  } catch (error) {
    throw new DamagedRecordError(row.id, { cause: error });
  }
}

/** The readable documents of `rows`, and which ones were not. */
function parseRows(rows: Row[]): { items: Compose[]; unreadable: { id: string; reason: string }[] } {
  const items: Compose[] = [];
  const unreadable: { id: string; reason: string }[] = [];
  for (const row of rows) {
    try {
      items.push(parseRow(row));
    } catch (error) {
      unreadable.push({ id: row.id, reason: String((error as Error).cause ?? error) });
    }
  }
  return { items, unreadable };
}

/** ComposeStore on SQLite: one row per compose, the document as JSON, indexed columns for listing and reaping. */
export class SqliteComposeStore implements ComposeStore {
  constructor(private readonly db: SqliteDatabase) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS composes (
        org_id TEXT NOT NULL,
        id TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        heartbeat_at TEXT,
        doc TEXT NOT NULL,
        PRIMARY KEY (org_id, id)
      );
      CREATE INDEX IF NOT EXISTS composes_by_org_created ON composes (org_id, created_at DESC, id DESC);
      CREATE INDEX IF NOT EXISTS composes_by_state_heartbeat ON composes (state, heartbeat_at);
      CREATE INDEX IF NOT EXISTS composes_by_org_state ON composes (org_id, state);
      CREATE INDEX IF NOT EXISTS composes_by_blueprint ON composes (org_id, ${BLUEPRINT_ID}, created_at DESC, id DESC) WHERE json_valid(doc);
    `);
  }

  async create(compose: Compose): Promise<void> {
    this.insert(compose);
  }

  async createWithinQuota(compose: Compose, quota: AdmissionQuota): Promise<AdmissionRefusal | undefined> {
    return this.createAllWithinQuota([compose], quota);
  }

  /** Counts and inserts inside one IMMEDIATE transaction: other processes' admissions wait for the write lock. */
  async createAllWithinQuota(composes: readonly Compose[], quota: AdmissionQuota): Promise<AdmissionRefusal | undefined> {
    const orgId = sameOrganization(composes);
    const admit = this.db.transaction((): AdmissionRefusal | undefined => {
      const count = (where: string, ...args: unknown[]) =>
        (this.db.prepare(`SELECT count(*) AS n FROM composes WHERE org_id = ? AND ${where}`).get(orgId, ...args) as { n: number }).n;
      // Soft-deleted composes count: the hosted service counts every compose created in the window.
      const inWindow = count('created_at >= ?', quota.windowStart);
      if (inWindow + composes.length > quota.maxInWindow) return { quota: 'builds-per-window', used: inWindow };
      const unfinished = count(UNFINISHED);
      if (unfinished + composes.length > quota.maxUnfinished) return { quota: 'concurrent-builds', used: unfinished };
      // An existing id throws inside the transaction, which rolls the earlier inserts back.
      for (const compose of composes) this.insert(compose);
      return undefined;
    });
    return admit.immediate();
  }

  async listByBlueprint(orgId: string, { blueprintId, version, limit, offset }: BlueprintComposeQuery): Promise<ComposePage> {
    const where = `org_id = ? AND json_valid(doc) AND ${BLUEPRINT_ID} = ? AND json_extract(doc, '$.deletedAt') IS NULL${
      version === undefined ? '' : " AND json_extract(doc, '$.blueprint.version') = ?"
    }`;
    const args = version === undefined ? [orgId, blueprintId] : [orgId, blueprintId, version];
    const rows = this.db.prepare(`SELECT id, doc FROM composes WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`).all(...args, limit, offset) as Row[];
    const { total } = this.db.prepare(`SELECT count(*) AS total FROM composes WHERE ${where}`).get(...args) as { total: number };
    const { items, unreadable } = parseRows(rows);
    return { items, total, ...(unreadable.length ? { unreadable } : {}) };
  }

  private insert(compose: Compose): void {
    compose = { ...compose, history: compose.history ?? [{ state: compose.state, at: compose.createdAt }] };
    try {
      this.db
        .prepare('INSERT INTO composes (org_id, id, state, created_at, heartbeat_at, doc) VALUES (?, ?, ?, ?, ?, ?)')
        .run(compose.orgId, compose.id, compose.state, compose.createdAt, compose.heartbeatAt ?? null, JSON.stringify(compose));
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new ComposeExistsError(compose.id);
      throw error;
    }
  }

  async get(orgId: string, id: string): Promise<Compose | undefined> {
    return this.read(orgId, id);
  }

  async list(orgId: string, { limit, offset, createdSince, states, distribution }: ComposeListOptions): Promise<ComposePage> {
    // The filters in SQL: `total` counts what they let through (a damaged document names no distribution).
    const clauses = ['org_id = ?', LIVE];
    const args: string[] = [orgId];
    const and = (clause: string, ...values: string[]) => {
      clauses.push(clause);
      args.push(...values);
    };
    if (createdSince !== undefined) and('created_at >= ?', createdSince);
    if (states !== undefined) and(`state IN (${states.map(() => '?').join(', ') || 'NULL'})`, ...states);
    if (distribution !== undefined) and("CASE WHEN json_valid(doc) THEN json_extract(doc, '$.request.distribution') END = ?", distribution);
    const where = clauses.join(' AND ');
    const rows = this.db.prepare(`SELECT id, doc FROM composes WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`).all(...args, limit, offset) as Row[];
    const { total } = this.db.prepare(`SELECT count(*) AS total FROM composes WHERE ${where}`).get(...args) as { total: number };
    const { items, unreadable } = parseRows(rows);
    return { items, total, ...(unreadable.length ? { unreadable } : {}) };
  }

  async transition(orgId: string, id: string, request: TransitionRequest): Promise<Compose | undefined> {
    return this.update(orgId, id, (current) => {
      if (!request.from.includes(current.state) || !canTransition(current.state, request.to)) return undefined;
      if (request.runnerId !== undefined && current.runnerId !== request.runnerId) return undefined;
      if (request.jobMessageId !== undefined && current.jobMessageId !== request.jobMessageId) return undefined;
      if (request.attemptBelow !== undefined && !(current.attempt < request.attemptBelow)) return undefined;
      if (request.deliveryBelow !== undefined && !((current.delivery ?? current.attempt) < request.deliveryBelow)) return undefined;
      if (request.heartbeatBefore !== undefined && current.heartbeatAt !== undefined && !(current.heartbeatAt < request.heartbeatBefore)) {
        return undefined;
      }
      const history = [...(current.history ?? []), { state: request.to, at: new Date().toISOString() }];
      return { ...current, ...request.set, state: request.to, history };
    });
  }

  async patch(orgId: string, id: string, set: ComposePatch, conditions: PatchConditions = {}): Promise<Compose | undefined> {
    return this.update(orgId, id, (current) => {
      if (conditions.state && !conditions.state.includes(current.state)) return undefined;
      if (conditions.runnerId !== undefined && current.runnerId !== conditions.runnerId) return undefined;
      return { ...current, ...set };
    });
  }

  async claimTask(orgId: string, id: string, task: string, lease?: TaskLease): Promise<boolean> {
    const claimed = this.update(orgId, id, (current) => {
      const claims = (current as Compose & { claimedTasks?: Record<string, TaskClaim> }).claimedTasks ?? {};
      const now = new Date();
      const held = claims[task];
      // A claim for good is a time stamp; a lease its owner and end: taken over once it has run out.
      const free = !held || (lease !== undefined && typeof held === 'object' && (held.owner === lease.owner || Date.parse(held.until) <= now.getTime()));
      if (!free) return undefined;
      const claim: TaskClaim = lease ? { owner: lease.owner, until: new Date(now.getTime() + lease.seconds * 1000).toISOString() } : now.toISOString();
      return { ...current, claimedTasks: { ...claims, [task]: claim } } as Compose;
    });
    return claimed !== undefined;
  }

  async listStale(states: readonly ComposeState[], before: string, limit: number): Promise<Compose[]> {
    const marks = states.map(() => '?').join(', ');
    const rows = this.db
      .prepare(
        `SELECT id, doc FROM composes WHERE state IN (${marks}) AND coalesce(heartbeat_at, created_at) < ? ORDER BY heartbeat_at LIMIT ?`,
      )
      .all(...states, before, limit) as Row[];
    // The reaper skips a damaged record rather than stopping at it.
    return parseRows(rows).items;
  }

  private read(orgId: string, id: string): Compose | undefined {
    const row = this.db.prepare('SELECT id, doc FROM composes WHERE org_id = ? AND id = ?').get(orgId, id) as Row | undefined;
    return row ? parseRow(row) : undefined;
  }

  /** Read-check-write inside one IMMEDIATE transaction, so concurrent processes cannot interleave. */
  private update(orgId: string, id: string, change: (current: Compose) => Compose | undefined): Compose | undefined {
    const run = this.db.transaction(() => {
      const current = this.read(orgId, id);
      if (!current) return undefined;
      const next = change(current);
      if (!next) return undefined;
      next.updatedAt = new Date().toISOString();
      this.db
        .prepare('UPDATE composes SET state = ?, heartbeat_at = ?, doc = ? WHERE org_id = ? AND id = ?')
        .run(next.state, next.heartbeatAt ?? null, JSON.stringify(next), orgId, id);
      return next;
    });
    return run.immediate();
  }
}
