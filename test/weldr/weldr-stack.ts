/** The local stack the Weldr suites drive: no runners unless asked, Weldr on a socket for one organization. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack.ts';
import { silentLogger } from '../runner/helpers.ts';
import { composerCli } from './weldr-client.ts';

export interface WeldrStack {
  stack: LocalStack;
  /** composer-cli's requests on the stack's socket. */
  cli: ReturnType<typeof composerCli>;
}

/** Start the stack with Weldr serving `orgId` (requests naming no distribution get `defaultDistro`). */
export async function startWeldrStack(orgId: string, defaultDistro: string, options: LocalStackOptions = {}): Promise<WeldrStack> {
  const stack = await startLocalStack({
    dataDir: mkdtempSync(join(tmpdir(), `ibs-${orgId}-`)),
    port: 0,
    runners: 0,
    log: silentLogger(),
    ...options,
    weldr: { orgId, defaultDistro },
  });
  return { stack, cli: composerCli(stack.weldr!.socketPath) };
}
