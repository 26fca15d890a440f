import {
  DynamoDBClient,
  GetItemCommand,
  paginateQuery,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type AttributeValue,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import type { BlueprintChange, BlueprintUpdateOptions, BlueprintListOptions, BlueprintPage, BlueprintStore, BlueprintVersion, StoredBlueprint } from '../../ports/blueprint-store.ts';
import { BlueprintNameTakenError, nextBlueprintVersion, pageBlueprints } from '../../ports/blueprint-store.ts';

const orgKey = (orgId: string) => `ORG#${orgId}`;
const headKey = (id: string) => `BLUEPRINT#${id}`;
const versionKey = (id: string, version: number) => `BLUEPRINT#${id}#V#${String(version).padStart(9, '0')}`;
const nameKey = (name: string) => `BPNAME#${name}`;
const key = (orgId: string, sk: string): Record<string, AttributeValue> => ({ pk: { S: orgKey(orgId) }, sk: { S: sk } });

/**
 * BlueprintStore in the compose table (single-table design; the items carry no `state`, so the status-event stream
 * ignores them). Items under `pk = ORG#<org>`:
 * - `BLUEPRINT#<id>`: the current version (`doc`, `version`, `deletedAt` once deleted), kind `blueprint`;
 * - `BLUEPRINT#<id>#V#<version>`: each saved version, kind `blueprint-version`;
 * - `BPNAME#<name>`: the lock that keeps a live name unique, written in the same transaction as the blueprint.
 */
export class DynamoDbBlueprintStore implements BlueprintStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async create(blueprint: StoredBlueprint): Promise<void> {
    await this.write(
      [
        { Put: { TableName: this.tableName, Item: this.headItem(blueprint), ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: this.tableName, Item: this.versionItem(blueprint) } },
        this.lockName(blueprint.orgId, blueprint.name, blueprint.id),
      ],
      blueprint.name,
    );
  }

  async get(orgId: string, id: string): Promise<StoredBlueprint | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key(orgId, headKey(id)), ConsistentRead: true }));
    if (!Item || Item.deletedAt) return undefined;
    return JSON.parse(Item.doc!.S!) as StoredBlueprint;
  }

  async getVersion(orgId: string, id: string, version: number): Promise<BlueprintVersion | undefined> {
    if (!(await this.get(orgId, id))) return undefined;
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: key(orgId, versionKey(id, version)), ConsistentRead: true }),
    );
    return Item ? (JSON.parse(Item.doc!.S!) as BlueprintVersion) : undefined;
  }

  async listVersions(orgId: string, id: string): Promise<BlueprintVersion[]> {
    if (!(await this.get(orgId, id))) return [];
    const items = await this.query(orgId, `${headKey(id)}#V#`);
    return items.map((item) => JSON.parse(item.doc!.S!) as BlueprintVersion);
  }

  async list(orgId: string, options: BlueprintListOptions): Promise<BlueprintPage> {
    const live = (await this.query(orgId, 'BLUEPRINT#'))
      .filter((item) => item.kind?.S === 'blueprint' && !item.deletedAt)
      .map((item) => JSON.parse(item.doc!.S!) as StoredBlueprint);
    return pageBlueprints(live, options);
  }

  async update(orgId: string, id: string, change: BlueprintChange, options: BlueprintUpdateOptions = {}): Promise<StoredBlueprint | undefined> {
    const current = await this.get(orgId, id);
    if (!current || (options.expectedVersion !== undefined && current.version !== options.expectedVersion)) return undefined;
    const next = nextBlueprintVersion(current, change, options.at);
    const renamed = next.name !== current.name;
    const items: TransactWriteItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: this.headItem(next),
          // Optimistic: only over the version read above, and only while it is live.
          ConditionExpression: 'version = :v AND attribute_not_exists(deletedAt)',
          ExpressionAttributeValues: { ':v': { N: String(current.version) } },
        },
      },
      { Put: { TableName: this.tableName, Item: this.versionItem(next), ConditionExpression: 'attribute_not_exists(pk)' } },
      ...(renamed ? [this.lockName(orgId, next.name, id), this.unlockName(orgId, current.name, id)] : []),
    ];
    return (await this.write(items, next.name)) ? next : undefined;
  }

  async delete(orgId: string, id: string, at = new Date().toISOString()): Promise<boolean> {
    const current = await this.get(orgId, id);
    if (!current) return false;
    return this.write(
      [
        {
          Update: {
            TableName: this.tableName,
            Key: key(orgId, headKey(id)),
            UpdateExpression: 'SET deletedAt = :at',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt)',
            ExpressionAttributeValues: { ':at': { S: at } },
          },
        },
        this.unlockName(orgId, current.name, id),
      ],
      current.name,
    );
  }

  private headItem(b: StoredBlueprint): Record<string, AttributeValue> {
    return { ...key(b.orgId, headKey(b.id)), kind: { S: 'blueprint' }, version: { N: String(b.version) }, doc: { S: JSON.stringify(b) } };
  }

  private versionItem(b: StoredBlueprint): Record<string, AttributeValue> {
    const version: BlueprintVersion = { version: b.version, name: b.name, description: b.description, body: b.body, savedAt: b.updatedAt };
    return { ...key(b.orgId, versionKey(b.id, b.version)), kind: { S: 'blueprint-version' }, doc: { S: JSON.stringify(version) } };
  }

  private lockName(orgId: string, name: string, id: string): TransactWriteItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...key(orgId, nameKey(name)), kind: { S: 'blueprint-name' }, blueprintId: { S: id } },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  private unlockName(orgId: string, name: string, id: string): TransactWriteItem {
    return {
      Delete: {
        TableName: this.tableName,
        Key: key(orgId, nameKey(name)),
        ConditionExpression: 'blueprintId = :id',
        ExpressionAttributeValues: { ':id': { S: id } },
      },
    };
  }

  /** One transaction; false when a condition other than the name lock failed, BlueprintNameTakenError for the lock. */
  private async write(items: TransactWriteItem[], name: string): Promise<boolean> {
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw new Error(`could not save blueprint "${name}"`, { cause: error });
      const reasons = error.CancellationReasons ?? [];
      const lockFailed = reasons.some(
        (reason, i) => reason.Code === 'ConditionalCheckFailed' && items[i]?.Put?.Item?.kind?.S === 'blueprint-name',
      );
      if (lockFailed) throw new BlueprintNameTakenError(name);
      if (reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')) return false;
      throw new Error(`could not save blueprint "${name}"`, { cause: error });
    }
  }

  private async query(orgId: string, skPrefix: string): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': { S: orgKey(orgId) }, ':prefix': { S: skPrefix } },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items;
  }
}
