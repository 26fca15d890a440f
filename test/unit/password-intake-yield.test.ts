import { describe, expect, it } from 'vitest';
import { hashRequestPasswordsYielding } from '../../layers/src/blueprint/password-intake.ts';

describe('password hashing on intake never holds the event loop for more than one hash', () => {
  it('lets other work run between hashes, and gives equal passwords their own salts', async () => {
    const users = Array.from({ length: 6 }, (_, i) => ({ name: `u${i}`, password: i < 2 ? 'same' : `secret-${i}` }));
    let ticks = 0;
    let hashing = true;
    const other = (async () => {
      while (hashing) {
        ticks++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const trace: string[] = [];
    const hashed = await hashRequestPasswordsYielding({ customizations: { users } }, (p) => {
      trace.push(`hash@${ticks}`);
      return `$6$salt${trace.length}$${p.length}`;
    });
    hashing = false;
    await other;
    // Every hash ran on a later turn of the loop than the one before: the other task got in between each.
    const at = trace.map((t) => Number(t.split('@')[1]));
    expect(at.every((tick, i) => i === 0 || tick > at[i - 1]!)).toBe(true);
    const stored = (hashed.customizations as { users: { password: string }[] }).users.map((u) => u.password);
    expect(new Set(stored).size).toBe(6);
    expect(stored.every((p) => p.startsWith('$6$'))).toBe(true);
  });
});
