import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type QueryCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { convertToAttr, marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Compose, ComposePatch, ComposeState } from '../../compose/compose.ts';
import { TRANSITIONS, isFinalState } from '../../compose/compose.ts';
import { hasListFilter, matchesListFilter } from '../../compose/compose-list-filter.ts';
import type { AdmissionQuota, AdmissionRefusal, BlueprintComposeQuery, ComposePage, ComposeStore, TaskLease } from '../../ports/compose-store.ts';
import type { ComposeListOptions, ListOptions, PatchConditions, TransitionRequest } from '../../ports/compose-store.ts';
import { ComposeExistsError } from '../../ports/compose-store.ts';
import { admitComposeItems } from './dynamodb-compose-admission.ts';

/** Index names; serverless.yml and the stand-in provisioning create the same ones. */
export const BY_CREATED_INDEX = 'byCreated';
export const BY_STATE_HEARTBEAT_INDEX = 'byStateHeartbeat';
export const BY_BLUEPRINT_INDEX = 'byBlueprint';
/** Active composes of one state are spread over this many index partitions (no hot key for the reaper's index). */
export const STATE_SHARDS = 4;

const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk'];

const orgKey = (orgId: string) => `ORG#${orgId}`;
const composeKey = (id: string) => `COMPOSE#${id}`;
const blueprintKey = (orgId: string, blueprintId: string) => `BP#${orgId}#${blueprintId}`;
const keyOf = (orgId: string, id: string): Record<string, AttributeValue> => ({ pk: { S: orgKey(orgId) }, sk: { S: composeKey(id) } });

/** Index partition of an active compose: its state and a shard picked from its id. */
export function stateShardKey(state: ComposeState, id: string, shard = shardOf(id)): string {
  return `STATE#${state}#${shard}`;
}

const shardOf = (id: string): number => {
  let sum = 0;
  for (const char of id) sum = (sum * 31 + char.charCodeAt(0)) >>> 0;
  return sum % STATE_SHARDS;
};

const attr = (value: unknown): AttributeValue => convertToAttr(value, { removeUndefinedValues: true });

/** Collects `#n`/`:v` placeholders for one expression. */
class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  private count = 0;

  name(attribute: string): string {
    const placeholder = `#n${Object.keys(this.names).length}`;
    const existing = Object.entries(this.names).find(([, a]) => a === attribute);
    if (existing) return existing[0];
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: AttributeValue): string {
    const placeholder = `:v${this.count++}`;
    this.values[placeholder] = value;
    return placeholder;
  }
}

/**
 * ComposeStore on one DynamoDB table. Items: `pk = ORG#<org>`, `sk = COMPOSE#<id>`, the compose's fields as top-level
 * attributes (so conditions and updates address them directly). Two GSIs:
 * - `byCreated` (`gsi1pk = ORG#<org>`, `gsi1sk = <createdAt>#<id>`, keys only): newest-first listing;
 * - `byStateHeartbeat` (`gsi2pk = STATE#<state>#<shard>`, `gsi2sk = heartbeatAt ?? createdAt`, sparse: only
 *   non-final composes carry `gsi2pk`): the reaper's stale-build search across organizations;
 * - `byBlueprint` (`gsi3pk = BP#<org>#<blueprint id>`, `gsi3sk = <createdAt>#<id>`, keys and `blueprint`; sparse: only
 *   live composes made from a blueprint): a blueprint's composes, newest first.
 * Quota admission (createWithinQuota) also writes the organization's ledger item (dynamodb-compose-admission.ts).
 * Every transition and patch is one conditional UpdateItem, so the lifecycle holds under concurrent writers.
 */
export class DynamoDbComposeStore implements ComposeStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async create(compose: Compose): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({ TableName: this.tableName, Item: this.itemOf(compose), ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ComposeExistsError(compose.id);
      throw new Error(`could not create compose ${compose.id}`, { cause: error });
    }
  }

  async createWithinQuota(compose: Compose, quota: AdmissionQuota): Promise<AdmissionRefusal | undefined> {
    return this.createAllWithinQuota([compose], quota);
  }

  async createAllWithinQuota(composes: readonly Compose[], quota: AdmissionQuota): Promise<AdmissionRefusal | undefined> {
    return admitComposeItems(this.client, this.tableName, composes.map((compose) => ({ compose, item: this.itemOf(compose) })), quota);
  }

  /** Walks the blueprint's index partition newest first (version filtered there), then reads the page's items. */
  async listByBlueprint(orgId: string, { blueprintId, version, limit, offset }: BlueprintComposeQuery): Promise<ComposePage> {
    const partition = { ':bp': { S: blueprintKey(orgId, blueprintId) } };
    return this.pageOfIndex(
      {
        IndexName: BY_BLUEPRINT_INDEX,
        KeyConditionExpression: 'gsi3pk = :bp',
        ...(version === undefined
          ? { ExpressionAttributeValues: partition }
          : {
              FilterExpression: '#b.#v = :v',
              ExpressionAttributeNames: { '#b': 'blueprint', '#v': 'version' },
              ExpressionAttributeValues: { ...partition, ':v': { N: String(version) } },
            }),
      },
      { limit, offset },
    );
  }

  /** Counts every entry of one index query (newest first) and reads the items of the requested slice. */
  private async pageOfIndex(query: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>, { limit, offset }: ListOptions): Promise<ComposePage> {
    const slice: Record<string, AttributeValue>[] = [];
    let total = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(new QueryCommand({ ...query, TableName: this.tableName, ScanIndexForward: false, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        if (total >= offset && total < offset + limit) slice.push({ pk: item.pk, sk: item.sk });
        total++;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return { items: await this.readMany(slice), total };
  }

  /** The item of a new compose: its fields, keys and index keys. */
  private itemOf(compose: Compose): Record<string, AttributeValue> {
    const item = {
      ...compose,
      // Every transition appends to the history; it starts with the state the compose was created in.
      history: compose.history ?? [{ state: compose.state, at: compose.createdAt }],
      pk: orgKey(compose.orgId),
      sk: composeKey(compose.id),
      gsi1pk: orgKey(compose.orgId),
      gsi1sk: `${compose.createdAt}#${compose.id}`,
      ...(isFinalState(compose.state) ? {} : { gsi2pk: stateShardKey(compose.state, compose.id) }),
      gsi2sk: compose.heartbeatAt ?? compose.createdAt,
      ...(compose.blueprint && !compose.deletedAt
        ? { gsi3pk: blueprintKey(compose.orgId, compose.blueprint.id), gsi3sk: `${compose.createdAt}#${compose.id}` }
        : {}),
    };
    return marshall(item, { removeUndefinedValues: true });
  }

  async get(orgId: string, id: string): Promise<Compose | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: keyOf(orgId, id), ConsistentRead: true }));
    return Item ? toCompose(Item) : undefined;
  }

  /**
   * Walks the keys-only index newest first: counts every compose of the organization (the API reports the total)
   * and keeps the keys of the requested slice, then reads those items with one consistent BatchGetItem.
   */
  async list(orgId: string, { createdSince, states, distribution, ...options }: ComposeListOptions): Promise<ComposePage> {
    // gsi1sk is `<createdAt>#<id>`: ISO times of one format compare as strings, so the window is a key condition.
    const since: Record<string, AttributeValue> = createdSince === undefined ? {} : { ':since': { S: createdSince } };
    const query = {
      IndexName: BY_CREATED_INDEX,
      KeyConditionExpression: `gsi1pk = :org${createdSince === undefined ? '' : ' AND gsi1sk >= :since'}`,
      ExpressionAttributeValues: { ':org': { S: orgKey(orgId) }, ...since },
    };
    const filter = { states, distribution };
    if (!hasListFilter(filter)) return this.pageOfIndex(query, options);
    // The index holds keys only (no state or request to filter on): the window's composes are read and filtered here.
    const all = await this.pageOfIndex(query, { limit: Number.MAX_SAFE_INTEGER, offset: 0 });
    const kept = all.items.filter((c) => matchesListFilter(c, filter));
    return { ...all, items: kept.slice(options.offset, options.offset + options.limit), total: kept.length };
  }

  async transition(orgId: string, id: string, request: TransitionRequest): Promise<Compose | undefined> {
    // The lifecycle check folds into the condition: only states that may move to `to` are accepted.
    const from = request.from.filter((state) => TRANSITIONS[state].includes(request.to));
    if (from.length === 0) return undefined;
    const expr = new Expression();
    const conditions = [`attribute_exists(pk)`, `${expr.name('state')} IN (${from.map((s) => expr.value({ S: s })).join(', ')})`];
    if (request.runnerId !== undefined) conditions.push(`${expr.name('runnerId')} = ${expr.value({ S: request.runnerId })}`);
    if (request.jobMessageId !== undefined) conditions.push(`${expr.name('jobMessageId')} = ${expr.value({ S: request.jobMessageId })}`);
    if (request.attemptBelow !== undefined) conditions.push(`${expr.name('attempt')} < ${expr.value({ N: String(request.attemptBelow) })}`);
    if (request.deliveryBelow !== undefined) {
      const below = expr.value({ N: String(request.deliveryBelow) });
      conditions.push(
        `((attribute_not_exists(${expr.name('delivery')}) AND ${expr.name('attempt')} < ${below}) OR ${expr.name('delivery')} < ${below})`,
      );
    }
    if (request.heartbeatBefore !== undefined) {
      // ISO-8601 UTC times of one format compare as strings.
      const before = expr.value({ S: request.heartbeatBefore });
      conditions.push(`(attribute_not_exists(${expr.name('heartbeatAt')}) OR ${expr.name('heartbeatAt')} < ${before})`);
    }
    const entry = attr([{ state: request.to, at: new Date().toISOString() }]);
    const sets = [
      `${expr.name('state')} = ${expr.value({ S: request.to })}`,
      `${expr.name('history')} = list_append(if_not_exists(${expr.name('history')}, ${expr.value({ L: [] })}), ${expr.value(entry)})`,
    ];
    const removes: string[] = [];
    if (isFinalState(request.to)) removes.push(expr.name('gsi2pk'));
    else sets.push(`${expr.name('gsi2pk')} = ${expr.value({ S: stateShardKey(request.to, id) })}`);
    return this.update(orgId, id, expr, conditions, sets, removes, request.set ?? {});
  }

  async patch(orgId: string, id: string, set: ComposePatch, conditions: PatchConditions = {}): Promise<Compose | undefined> {
    const expr = new Expression();
    const checks = ['attribute_exists(pk)'];
    if (conditions.state) {
      if (conditions.state.length === 0) return undefined;
      checks.push(`${expr.name('state')} IN (${conditions.state.map((s) => expr.value({ S: s })).join(', ')})`);
    }
    if (conditions.runnerId !== undefined) checks.push(`${expr.name('runnerId')} = ${expr.value({ S: conditions.runnerId })}`);
    return this.update(orgId, id, expr, checks, [], [], set);
  }

  async claimTask(orgId: string, id: string, task: string, lease?: TaskLease): Promise<boolean> {
    const now = new Date();
    // A claim for good is a time stamp in claim_<task>; a lease its owner there and its end in claimUntil_<task>.
    const update: Pick<UpdateItemCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> = lease
      ? {
          UpdateExpression: 'SET #claim = :owner, #until = :until',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#claim) OR #claim = :owner OR #until <= :now)',
          ExpressionAttributeNames: { '#claim': `claim_${task}`, '#until': `claimUntil_${task}` },
          ExpressionAttributeValues: {
            ':owner': { S: lease.owner },
            ':until': { S: new Date(now.getTime() + lease.seconds * 1000).toISOString() },
            ':now': { S: now.toISOString() },
          },
        }
      : {
          UpdateExpression: 'SET #claim = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#claim)',
          ExpressionAttributeNames: { '#claim': `claim_${task}` },
          ExpressionAttributeValues: { ':at': { S: now.toISOString() } },
        };
    try {
      await this.client.send(new UpdateItemCommand({ TableName: this.tableName, Key: keyOf(orgId, id), ...update }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new Error(`could not claim ${task} of compose ${id}`, { cause: error });
    }
  }

  /** Queries every shard of every requested (non-final) state for index keys older than `before`, oldest first. */
  async listStale(states: readonly ComposeState[], before: string, limit: number): Promise<Compose[]> {
    const partitions = states.filter((s) => !isFinalState(s)).flatMap((state) => Array.from({ length: STATE_SHARDS }, (_, shard) => stateShardKey(state, '', shard)));
    const found = await Promise.all(partitions.map((partition) => this.queryStale(partition, before, limit)));
    return found
      .flat()
      .sort((a, b) => String(a.gsi2sk.S).localeCompare(String(b.gsi2sk.S)))
      .slice(0, limit)
      .map(toCompose);
  }

  private async queryStale(partition: string, before: string, limit: number): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: BY_STATE_HEARTBEAT_INDEX,
          KeyConditionExpression: 'gsi2pk = :p AND gsi2sk < :before',
          ExpressionAttributeValues: { ':p': { S: partition }, ':before': { S: before } },
          Limit: limit - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items;
  }

  /** One conditional UpdateItem: the caller's condition and SETs plus the patch fields, `updatedAt`, index keys. */
  private async update(
    orgId: string,
    id: string,
    expr: Expression,
    conditions: string[],
    sets: string[],
    removes: string[],
    patch: ComposePatch,
  ): Promise<Compose | undefined> {
    for (const [field, value] of Object.entries(patch)) {
      // A field given as undefined is cleared, as the embedded store's spread does.
      if (value === undefined) removes.push(expr.name(field));
      else sets.push(`${expr.name(field)} = ${expr.value(attr(value))}`);
    }
    // A deleted compose leaves the newest-first index, so lists skip it without reading it.
    if (patch.deletedAt) removes.push(expr.name('gsi1pk'), expr.name('gsi1sk'), expr.name('gsi3pk'), expr.name('gsi3sk'));
    if ('heartbeatAt' in patch) {
      // The stale index sorts on heartbeatAt, falling back to createdAt like the embedded store's coalesce().
      sets.push(
        patch.heartbeatAt === undefined
          ? `${expr.name('gsi2sk')} = ${expr.name('createdAt')}`
          : `${expr.name('gsi2sk')} = ${expr.value({ S: patch.heartbeatAt })}`,
      );
    }
    sets.push(`${expr.name('updatedAt')} = ${expr.value({ S: new Date().toISOString() })}`);
    const update = `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`;
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: keyOf(orgId, id),
          UpdateExpression: update,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: expr.names,
          ExpressionAttributeValues: expr.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toCompose(Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw new Error(`could not update compose ${id}`, { cause: error });
    }
  }

  private async readMany(keys: Record<string, AttributeValue>[]): Promise<Compose[]> {
    if (keys.length === 0) return [];
    const byKey = new Map<string, Compose>();
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Record<string, AttributeValue>[] = keys.slice(i, i + 100);
      // UnprocessedKeys come back under throttling: read them again until none is left.
      for (let round = 0; pending.length > 0; round++) {
        if (round > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** round)));
        const { Responses, UnprocessedKeys } = await this.client.send(
          new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const item of Responses?.[this.tableName] ?? []) byKey.set(`${item.pk.S}|${item.sk.S}`, toCompose(item));
        pending = UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return keys.map((k) => byKey.get(`${k.pk.S}|${k.sk.S}`)).filter((c): c is Compose => c !== undefined);
  }
}

function toCompose(item: Record<string, AttributeValue>): Compose {
  const record = unmarshall(item);
  for (const key of KEY_ATTRIBUTES) delete record[key];
  return record as Compose;
}
