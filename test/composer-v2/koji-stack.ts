/**
 * The local stack the Koji tests run against: a hub stand-in that IBS_KOJI_HUBS allows, one runner on the osbuild
 * test double, a stub depsolver; `close()` stops both and restores IBS_KOJI_HUBS.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { createStubDepsolver } from '../fuzz/hostile-requests.ts';
import { DOUBLE, FAST_ENV } from '../runner/helpers.ts';
import { startKojiHubStandIn, type KojiHubStandIn } from './koji-hub-stand-in.ts';

export interface KojiStack {
  hub: KojiHubStandIn;
  stack: LocalStack;
  close(): Promise<void>;
}

export async function startKojiStack(name: string): Promise<KojiStack> {
  const previousHubs = process.env.IBS_KOJI_HUBS;
  const hub = await startKojiHubStandIn();
  process.env.IBS_KOJI_HUBS = hub.url;
  const stack = await startLocalStack({
    dataDir: mkdtempSync(join(tmpdir(), `ibs-${name}-`)),
    port: 0,
    runners: 1,
    runnerEnv: { ...FAST_ENV, IBS_OSBUILD: DOUBLE },
    depsolver: createStubDepsolver(),
    log: createLogger({}, { write: () => {} }),
  });
  return {
    hub,
    stack,
    close: async () => {
      await stack.stop();
      await hub.close();
      if (previousHubs === undefined) delete process.env.IBS_KOJI_HUBS;
      else process.env.IBS_KOJI_HUBS = previousHubs;
    },
  };
}
