import type { BlueprintChange, BlueprintUpdateOptions, BlueprintListOptions, BlueprintPage, BlueprintStore, BlueprintVersion, StoredBlueprint } from '../../ports/blueprint-store.ts';
import { BlueprintNameTakenError, nextBlueprintVersion, pageBlueprints } from '../../ports/blueprint-store.ts';
import type { SqliteDatabase } from './sqlite.ts';

/**
 * BlueprintStore on SQLite: the current version per row (a partial unique index keeps live names unique per
 * organization), every saved version in `blueprint_versions`.
 */
export class SqliteBlueprintStore implements BlueprintStore {
  constructor(private readonly db: SqliteDatabase) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS blueprints (
        org_id TEXT NOT NULL,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted_at TEXT,
        doc TEXT NOT NULL,
        PRIMARY KEY (org_id, id)
      );
      CREATE UNIQUE INDEX IF NOT EXISTS blueprints_live_name ON blueprints (org_id, name) WHERE deleted_at IS NULL;
      CREATE INDEX IF NOT EXISTS blueprints_by_org_updated ON blueprints (org_id, updated_at DESC, id DESC);
      CREATE TABLE IF NOT EXISTS blueprint_versions (
        org_id TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (org_id, id, version)
      );
    `);
  }

  async create(blueprint: StoredBlueprint): Promise<void> {
    this.db.transaction(() => {
      this.insertCurrent(blueprint);
      this.insertVersion(blueprint);
    })();
  }

  async get(orgId: string, id: string): Promise<StoredBlueprint | undefined> {
    const row = this.db.prepare('SELECT doc FROM blueprints WHERE org_id = ? AND id = ? AND deleted_at IS NULL').get(orgId, id) as
      | { doc: string }
      | undefined;
    return row ? (JSON.parse(row.doc) as StoredBlueprint) : undefined;
  }

  async getVersion(orgId: string, id: string, version: number): Promise<BlueprintVersion | undefined> {
    if (!(await this.get(orgId, id))) return undefined;
    const row = this.db.prepare('SELECT doc FROM blueprint_versions WHERE org_id = ? AND id = ? AND version = ?').get(orgId, id, version) as
      | { doc: string }
      | undefined;
    return row ? (JSON.parse(row.doc) as BlueprintVersion) : undefined;
  }

  async listVersions(orgId: string, id: string): Promise<BlueprintVersion[]> {
    if (!(await this.get(orgId, id))) return [];
    const rows = this.db.prepare('SELECT doc FROM blueprint_versions WHERE org_id = ? AND id = ? ORDER BY version').all(orgId, id) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as BlueprintVersion);
  }

  async list(orgId: string, options: BlueprintListOptions): Promise<BlueprintPage> {
    const rows = this.db.prepare('SELECT doc FROM blueprints WHERE org_id = ? AND deleted_at IS NULL').all(orgId) as { doc: string }[];
    return pageBlueprints(
      rows.map((r) => JSON.parse(r.doc) as StoredBlueprint),
      options,
    );
  }

  async update(orgId: string, id: string, change: BlueprintChange, options: BlueprintUpdateOptions = {}): Promise<StoredBlueprint | undefined> {
    const run = this.db.transaction(() => {
      const row = this.db.prepare('SELECT doc FROM blueprints WHERE org_id = ? AND id = ? AND deleted_at IS NULL').get(orgId, id) as
        | { doc: string }
        | undefined;
      if (!row) return undefined;
      const current = JSON.parse(row.doc) as StoredBlueprint;
      if (options.expectedVersion !== undefined && current.version !== options.expectedVersion) return undefined;
      const next = nextBlueprintVersion(current, change, options.at);
      try {
        this.db
          .prepare('UPDATE blueprints SET name = ?, updated_at = ?, doc = ? WHERE org_id = ? AND id = ?')
          .run(next.name, next.updatedAt, JSON.stringify(next), orgId, id);
      } catch (error) {
        throw nameTakenOr(error, next.name);
      }
      this.insertVersion(next);
      return next;
    });
    return run.immediate();
  }

  async delete(orgId: string, id: string, at = new Date().toISOString()): Promise<boolean> {
    const result = this.db.prepare('UPDATE blueprints SET deleted_at = ? WHERE org_id = ? AND id = ? AND deleted_at IS NULL').run(at, orgId, id);
    return result.changes > 0;
  }

  private insertCurrent(b: StoredBlueprint): void {
    try {
      this.db
        .prepare('INSERT INTO blueprints (org_id, id, name, updated_at, doc) VALUES (?, ?, ?, ?, ?)')
        .run(b.orgId, b.id, b.name, b.updatedAt, JSON.stringify(b));
    } catch (error) {
      throw nameTakenOr(error, b.name);
    }
  }

  private insertVersion(b: StoredBlueprint): void {
    const version: BlueprintVersion = { version: b.version, name: b.name, description: b.description, body: b.body, savedAt: b.updatedAt };
    this.db.prepare('INSERT INTO blueprint_versions (org_id, id, version, doc) VALUES (?, ?, ?, ?)').run(b.orgId, b.id, b.version, JSON.stringify(version));
  }
}

/** SQLite's unique-index violation on the live name, as the port's error. */
function nameTakenOr(error: unknown, name: string): unknown {
  const code = (error as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' ? new BlueprintNameTakenError(name) : error;
}
