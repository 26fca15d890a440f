/**
 * Quota admission on DynamoDB: a count over the table cannot be made atomic with an insert, so each organization has
 * one ledger item (`pk = ORG#<org>`, `sk = QUOTA#composes`) that every admission rewrites in the same transaction as
 * the compose's Put, conditional on the ledger version it read. Of concurrent admissions one commits per version; the
 * others read again and either fit or are refused. The ledger holds the creation times (ms) of the composes admitted
 * in the window and the ids of those possibly unfinished; a finished compose never becomes unfinished again, so the
 * ids are checked against the composes only when they would refuse, and the finished ones dropped.
 */
import {
  BatchGetItemCommand,
  GetItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Compose, ComposeState } from '../../compose/compose.ts';
import { isFinalState } from '../../compose/compose.ts';
import type { AdmissionQuota, AdmissionRefusal } from '../../ports/compose-store.ts';
import { AdmissionBusyError, ComposeExistsError, sameOrganization } from '../../ports/compose-store.ts';

/** Sort key of an organization's compose quota ledger (beside its composes and blueprints). */
export const QUOTA_LEDGER_SK = 'QUOTA#composes';
/** Admissions that lost the race read the ledger again, at most this many times before giving up. */
const MAX_ROUNDS = 64;

interface Ledger {
  version: number;
  /** Creation times (epoch ms) of the composes admitted, oldest first. */
  admittedAt: number[];
  /** Ids of admitted composes that were unfinished when last looked at. */
  unfinished: string[];
}

const ledgerKey = (orgId: string): Record<string, AttributeValue> => ({ pk: { S: `ORG#${orgId}` }, sk: { S: QUOTA_LEDGER_SK } });

async function readLedger(client: DynamoDBClient, table: string, orgId: string): Promise<Ledger | undefined> {
  const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: ledgerKey(orgId), ConsistentRead: true }));
  if (!Item) return undefined;
  return {
    version: Number(Item.ledgerVersion?.N ?? 0),
    admittedAt: (Item.admittedAt?.L ?? []).map((v) => Number(v.N)),
    unfinished: (Item.unfinished?.L ?? []).map((v) => String(v.S)),
  };
}

/** The ids among `ids` whose compose is still unfinished (a missing one is not). */
async function stillUnfinished(client: DynamoDBClient, table: string, orgId: string, ids: string[]): Promise<string[]> {
  const states = new Map<string, ComposeState>();
  for (let i = 0; i < ids.length; i += 100) {
    let pending: Record<string, AttributeValue>[] = ids.slice(i, i + 100).map((id) => ({ pk: { S: `ORG#${orgId}` }, sk: { S: `COMPOSE#${id}` } }));
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) await sleep(Math.min(1000, 50 * 2 ** round));
      const { Responses, UnprocessedKeys } = await client.send(
        new BatchGetItemCommand({
          RequestItems: { [table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: 'id, #s', ExpressionAttributeNames: { '#s': 'state' } } },
        }),
      );
      for (const item of Responses?.[table] ?? []) states.set(String(item.id?.S), item.state?.S as ComposeState);
      pending = UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return ids.filter((id) => states.has(id) && !isFinalState(states.get(id)!));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Most composes one admission writes: a transaction holds 100 items, one of them the ledger. */
export const MAX_COMPOSES_PER_ADMISSION = 99;

/**
 * Puts every compose's item if their organization stays within `quota` with all of them; the ledger and all the
 * composes are written in one transaction or none is.
 */
export async function admitComposeItems(
  client: DynamoDBClient,
  table: string,
  entries: readonly { compose: Compose; item: Record<string, AttributeValue> }[],
  quota: AdmissionQuota,
): Promise<AdmissionRefusal | undefined> {
  const orgId = sameOrganization(entries.map((e) => e.compose));
  if (entries.length > MAX_COMPOSES_PER_ADMISSION) throw new Error(`one admission writes at most ${MAX_COMPOSES_PER_ADMISSION} composes (asked: ${entries.length})`);
  const ids = entries.map((e) => e.compose.id).join(', ');
  const windowStart = Date.parse(quota.windowStart);
  const createdAt = entries.map((e) => Date.parse(e.compose.createdAt));
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (round > 0) await sleep(Math.random() * Math.min(200, 5 * 2 ** Math.min(round, 6)));
    const ledger = await readLedger(client, table, orgId);
    const admittedAt = (ledger?.admittedAt ?? []).filter((t) => t >= windowStart);
    if (admittedAt.length + entries.length > quota.maxInWindow) return { quota: 'builds-per-window', used: admittedAt.length };
    let unfinished = ledger?.unfinished ?? [];
    if (unfinished.length + entries.length > quota.maxUnfinished) {
      unfinished = await stillUnfinished(client, table, orgId, unfinished);
      if (unfinished.length + entries.length > quota.maxUnfinished) return { quota: 'concurrent-builds', used: unfinished.length };
    }
    const next: Record<string, AttributeValue> = {
      ...ledgerKey(orgId),
      kind: { S: 'compose-quota-ledger' },
      ledgerVersion: { N: String((ledger?.version ?? 0) + 1) },
      admittedAt: { L: [...admittedAt, ...createdAt].sort((a, b) => a - b).map((t) => ({ N: String(t) })) },
      unfinished: { L: [...unfinished, ...entries.map((e) => e.compose.id)].map((id) => ({ S: id })) },
    };
    try {
      await client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: table,
                Item: next,
                ...(ledger
                  ? { ConditionExpression: 'ledgerVersion = :v', ExpressionAttributeValues: { ':v': { N: String(ledger.version) } } }
                  : { ConditionExpression: 'attribute_not_exists(pk)' }),
              },
            },
            ...entries.map((e) => ({ Put: { TableName: table, Item: e.item, ConditionExpression: 'attribute_not_exists(pk)' } })),
          ],
        }),
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw new Error(`could not admit compose(s) ${ids}`, { cause: error });
      const [ledgerReason, ...composeReasons] = error.CancellationReasons ?? [];
      const existing = composeReasons.findIndex((r) => r?.Code === 'ConditionalCheckFailed');
      if (existing >= 0) throw new ComposeExistsError(entries[existing]!.compose.id);
      // Another admission moved the ledger (or the transactions collided): read it again.
      if (ledgerReason?.Code !== 'ConditionalCheckFailed' && ![ledgerReason?.Code, ...composeReasons.map((r) => r?.Code)].includes('TransactionConflict')) {
        throw new Error(`could not admit compose(s) ${ids}`, { cause: error });
      }
    }
  }
  throw new AdmissionBusyError(orgId, MAX_ROUNDS);
}
