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
import type { ComposeQuotas } from '../../layers/src/service/quota.ts';
import type { createComposerChecker } from './composer-conformance.ts';

type ComposerChecker = ReturnType<typeof createComposerChecker>;

export interface KojiStack {
  hub: KojiHubStandIn;
  stack: LocalStack;
  close(): Promise<void>;
}

export interface KojiStackOptions {
  /** More environment for the runner (e.g. OSBUILD_DOUBLE_FAIL_STAGE). */
  runnerEnv?: Record<string, string>;
  quotas?: ComposeQuotas;
}

export async function startKojiStack(name: string, options: KojiStackOptions = {}): Promise<KojiStack> {
  const previousHubs = process.env.IBS_KOJI_HUBS;
  const hub = await startKojiHubStandIn();
  process.env.IBS_KOJI_HUBS = hub.url;
  const stack = await startLocalStack({
    dataDir: mkdtempSync(join(tmpdir(), `ibs-${name}-`)),
    port: 0,
    runners: 1,
    runnerEnv: { ...FAST_ENV, IBS_OSBUILD: DOUBLE, ...options.runnerEnv },
    ...(options.quotas ? { quotas: options.quotas, requestRate: undefined } : {}),
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

/** A v2 client of one organization whose every answer is checked against the spec (problems collected in `problems`). */
export function composerClient(base: string, token: string, checker: ComposerChecker, problems: string[]) {
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = await res.json();
    const answer = { method, path, status: res.status, contentType: res.headers.get('content-type'), body: parsed };
    // composer's GetComposeList sends a plain array of ComposeStatus (null when empty): each item checked as one.
    const answers = method === 'GET' && path === '/composes' && res.status === 200 ? ((parsed ?? []) as { id: string }[]).map((item) => ({ ...answer, path: `/composes/${item.id}`, body: item })) : [answer];
    for (const one of answers) problems.push(...checker.check(one).problems.map((p) => `${method} ${path}: ${p}`));
    return { status: res.status, body: parsed };
  };
  /** koji-osbuild's loop: the compose status until it is no longer pending. */
  const pollWhilePending = async (id: string): Promise<any> => {
    for (const deadline = Date.now() + 90_000; ; ) {
      const { body } = await call('GET', `/composes/${id}`);
      if (body.status !== 'pending') return body;
      if (Date.now() > deadline) throw new Error(`compose ${id} still pending`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  return { call, pollWhilePending };
}
