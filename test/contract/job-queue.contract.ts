import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JobQueue } from '../../layers/src/ports/job-queue.ts';
import { deadLetterQueueOf } from '../../layers/src/ports/job-queue.ts';

/**
 * The JobQueue contract: SQLite and SQS adapters pass the same assertions. `makeQueue(maxReceives)` returns a queue
 * factory and a fresh logical queue name whose dead-letter queue moves messages after `maxReceives` receives.
 */
export function describeJobQueueContract(name: string, makeQueue: (maxReceives: number) => Promise<{ queue: JobQueue; name: string }>) {
  describe(`JobQueue contract: ${name}`, () => {
    it('sends, receives with a receive count, deletes', async () => {
      const { queue, name: q } = await makeQueue(3);
      const body = { kind: 'build', orgId: 'o', composeId: randomUUID() };
      await queue.send(q, body);
      const [message] = await queue.receive(q, { waitSeconds: 2, visibilitySeconds: 30 });
      expect(message.body).toEqual(body);
      expect(message.receiveCount).toBe(1);
      await queue.delete(q, message.receiptHandle);
      expect(await queue.receive(q, { waitSeconds: 0 })).toEqual([]);
    });

    it('hides a received message for the visibility timeout, then redelivers it', async () => {
      const { queue, name: q } = await makeQueue(5);
      await queue.send(q, { n: 1 });
      const [first] = await queue.receive(q, { waitSeconds: 2, visibilitySeconds: 1 });
      expect(await queue.receive(q, { waitSeconds: 0 })).toEqual([]);
      const [again] = await queue.receive(q, { waitSeconds: 5, visibilitySeconds: 30 });
      expect(again.id).toBe(first.id);
      expect(again.receiveCount).toBe(2);
    });

    it('long-polls until a message arrives', async () => {
      const { queue, name: q } = await makeQueue(3);
      const started = Date.now();
      setTimeout(() => void queue.send(q, { late: true }), 500);
      const [message] = await queue.receive(q, { waitSeconds: 5 });
      expect(message.body).toEqual({ late: true });
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    });

    it('extends visibility and hands a message back immediately with 0', async () => {
      const { queue, name: q } = await makeQueue(5);
      await queue.send(q, { n: 2 });
      const [message] = await queue.receive(q, { waitSeconds: 2, visibilitySeconds: 1 });
      await queue.changeVisibility(q, message.receiptHandle, 30);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await queue.receive(q, { waitSeconds: 0 })).toEqual([]);
      const [again] = await queue.receive(q, { waitSeconds: 0 }).then(async (none) => {
        expect(none).toEqual([]);
        // Handing back needs the receipt of the current delivery: that is still `message`.
        await queue.changeVisibility(q, message.receiptHandle, 0);
        return queue.receive(q, { waitSeconds: 2 });
      });
      expect(again.id).toBe(message.id);
    });

    it('moves a message to the dead-letter queue after maxReceives receives', async () => {
      const { queue, name: q } = await makeQueue(2);
      await queue.send(q, { poison: true });
      for (let i = 1; i <= 2; i++) {
        const [m] = await queue.receive(q, { waitSeconds: 2, visibilitySeconds: 1 });
        expect(m.receiveCount).toBe(i);
        await queue.changeVisibility(q, m.receiptHandle, 0);
      }
      expect(await queue.receive(q, { waitSeconds: 1 })).toEqual([]);
      const [dead] = await queue.receive(deadLetterQueueOf(q), { waitSeconds: 5 });
      expect(dead.body).toEqual({ poison: true });
    });

    it('reports depth', async () => {
      const { queue, name: q } = await makeQueue(3);
      await queue.send(q, { a: 1 });
      await queue.send(q, { a: 2 });
      await queue.receive(q, { waitSeconds: 2, visibilitySeconds: 30 });
      await expect.poll(() => queue.depth(q), { timeout: 5000 }).toEqual({ visible: 1, inFlight: 1 });
    });
  });
}
