/**
 * The RateLimiter on DynamoDB, shared by every API Lambda instance: one counter item per organization and fixed window
 * (`pk = RATE#<org>`, `sk = W#<window index>`), incremented with one atomic UpdateItem ADD; the table's TTL attribute
 * `expiresAt` removes past windows. The items carry no `state`, so the status-event stream ignores them.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { windowOf, type RateDecision, type RateLimit, type RateLimiter } from '../../ports/rate-limiter.ts';

export class DynamoDbRateLimiter implements RateLimiter {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async take(key: string, limit: RateLimit, now = Date.now()): Promise<RateDecision> {
    const { index, retryAfterSeconds } = windowOf(limit, now);
    const { Attributes } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: `RATE#${key}` }, sk: { S: `W#${limit.windowSeconds}#${index}` } },
        UpdateExpression: 'ADD #c :one SET #e = if_not_exists(#e, :expires)',
        ExpressionAttributeNames: { '#c': 'requestCount', '#e': 'expiresAt' },
        // Kept one window past its end (TTL deletion is lazy anyway), in epoch seconds as DynamoDB TTL wants.
        ExpressionAttributeValues: { ':one': { N: '1' }, ':expires': { N: String(Math.ceil(now / 1000) + retryAfterSeconds + limit.windowSeconds) } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const count = Number(Attributes?.requestCount?.N ?? 1);
    return { allowed: count <= limit.requests, count, retryAfterSeconds };
  }
}
