/** Bearer tokens for tests that talk to a local stack: one per organization, minted with the stack's own key. */
import type { LocalStack } from '../../local/stack.ts';

/** `{ authorization: 'Bearer …' }` for `org` (minted once per stack and organization). */
export function tokenHeaders(stack: Pick<LocalStack, 'mintToken'>): (org?: string) => Promise<Record<string, string>> {
  const tokens = new Map<string, Promise<string>>();
  return async (org = 'local') => {
    if (!tokens.has(org)) tokens.set(org, stack.mintToken(org));
    return { authorization: `Bearer ${await tokens.get(org)!}` };
  };
}
