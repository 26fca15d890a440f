/**
 * Compose request → manifest stored, in the local stack (API over HTTP, manifest worker, SQLite, filesystem), with
 * authentication (a bearer token per request), the request rate and the compose quotas on, as `npm start` runs.
 * Reference in the same run: a GET /version round trip (public: no token, no rate) through the same gateway and handler.
 * Also: a POST refused by the quota (403), and POST /compose on the AWS adapters (DynamoDB Local, the quota ledger's
 * conditional transaction) when DynamoDB Local is installed.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../local/stack.ts';
import { dynamoDbLocalMissing } from '../local/aws-stand-ins.ts';
import { createLogger } from '../layers/src/log/logger.ts';
import { DEFAULT_REQUEST_RATE } from '../layers/src/config/quota-config.ts';
import { DEFAULT_COMPOSE_QUOTAS } from '../layers/src/service/quota.ts';
import { percentiles } from './stats.ts';

const SAMPLES = 200;
const WARM_UP = 20;
/** Quotas on with the hosted window, high enough that the run itself is not refused (no runner finishes a build). */
const QUOTAS = { ...DEFAULT_COMPOSE_QUOTAS, buildsPerWindow: 1000, concurrentBuilds: 1000 };
const REQUEST = JSON.stringify({
  distribution: 'test-distro-1',
  image_requests: [{ architecture: 'x86_64', image_type: 'tar' }],
  customizations: { hostname: 'bench', files: [{ path: '/etc/motd', data: 'hello\n' }] },
});

async function startBenchStack(backend: 'embedded' | 'aws'): Promise<{ stack: LocalStack; dataDir: string; post: () => Promise<Response> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ibs-bench-flow-'));
  const stack = await startLocalStack({
    backend,
    dataDir,
    port: 0,
    runners: 0,
    quotas: QUOTAS,
    requestRate: DEFAULT_REQUEST_RATE,
    log: createLogger({}, { write: () => {} }),
  });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${await stack.mintToken('local')}` };
  const post = () => fetch(`${stack.url}/api/image-builder/v1/compose`, { method: 'POST', headers, body: REQUEST });
  return { stack, dataDir, post };
}

async function timed(call: () => Promise<Response>, status: number): Promise<{ ms: number; body: unknown }> {
  const t = performance.now();
  const response = await call();
  const body = await response.json();
  const ms = performance.now() - t;
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(body)}`);
  return { ms, body };
}

/** POST /compose latency on DynamoDB Local (ledger transaction + compose Put), or why it was not measured. */
async function measureOnDynamoDbLocal(): Promise<unknown> {
  const missing = dynamoDbLocalMissing();
  if (missing) return { skipped: missing };
  const { stack, dataDir, post } = await startBenchStack('aws');
  try {
    const accept: number[] = [];
    for (let i = 0; i < 100; i++) accept.push((await timed(post, 201)).ms);
    return { samples: 100, postComposeMs: percentiles(accept) };
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** ComposeStore.createWithinQuota vs create, alternated, on an organization holding `SAMPLES` unfinished composes. */
async function measureAdmission(stack: LocalStack): Promise<{ createWithinQuota: unknown; create: unknown }> {
  const sample = await stack.deps.store.get('local', (await stack.deps.store.list('local', { limit: 1, offset: 0 })).items[0].id);
  const quota = { windowStart: new Date(Date.now() - QUOTAS.windowSeconds * 1000).toISOString(), maxInWindow: 1e6, maxUnfinished: 1e6 };
  const within: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const compose = { ...sample!, id: randomUUID(), history: undefined, createdAt: new Date().toISOString() };
    const t = performance.now();
    if (i % 2) await stack.deps.store.createWithinQuota(compose, quota);
    else await stack.deps.store.create(compose);
    (i % 2 ? within : plain).push(performance.now() - t);
  }
  return { createWithinQuota: percentiles(within), create: percentiles(plain) };
}

export async function run() {
  // Other work on the machine moves every figure: say how busy it was.
  const loadAtStart = loadavg()[0];
  const { stack, dataDir, post } = await startBenchStack('embedded');
  const api = `${stack.url}/api/image-builder/v1`;
  try {
    // Warm-up, not counted: JIT, the token's key import, prepared statements.
    for (let i = 0; i < WARM_UP; i++) {
      await timed(() => fetch(`${api}/version`), 200);
      await timed(post, 201);
    }
    const version: number[] = [];
    const accept: number[] = [];
    const toManifest: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      version.push((await timed(() => fetch(`${api}/version`), 200)).ms);
      const t = performance.now();
      const { ms, body } = await timed(post, 201);
      accept.push(ms);
      const { id } = body as { id: string };
      for (;;) {
        const compose = await stack.deps.store.get('local', id);
        if (compose?.manifestKey) break;
        await new Promise((r) => setTimeout(r, 2));
      }
      toManifest.push(performance.now() - t);
    }
    // The admission's own cost: POSTs with the quotas on and off, interleaved so load changes hit both alike.
    const withQuotas: number[] = [];
    const withoutQuotas: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      stack.deps.config.quotas = i % 2 ? QUOTAS : undefined;
      (i % 2 ? withQuotas : withoutQuotas).push((await timed(post, 201)).ms);
    }
    // The store call alone, in process: the admission (two counts and the insert in one transaction) against a plain insert.
    const admission = await measureAdmission(stack);
    // The same handler with the quota used up (warm-up, two POST rounds, the store calls): the refusal's cost.
    stack.deps.config.quotas = { ...QUOTAS, buildsPerWindow: 3 * SAMPLES + WARM_UP };
    const refused: number[] = [];
    for (let i = 0; i < 50; i++) refused.push((await timed(post, 403)).ms);
    const v = percentiles(version);
    const a = percentiles(accept);
    return {
      samples: SAMPLES,
      warmUp: WARM_UP,
      getVersionMs: v,
      postComposeMs: a,
      composeToManifestStoredMs: percentiles(toManifest),
      postComposeRefusedByQuotaMs: percentiles(refused),
      storeCallMs: admission,
      interleaved: { postComposeQuotasOnMs: percentiles(withQuotas), postComposeQuotasOffMs: percentiles(withoutQuotas) },
      postComposeVsGetVersionP50: +(a.p50 / v.p50).toFixed(2),
      postComposeOnDynamoDbLocal: await measureOnDynamoDbLocal(),
      loadAverage1m: { atStart: +loadAtStart.toFixed(2), atEnd: +loadavg()[0].toFixed(2) },
      settings: { quotas: QUOTAS, requestRate: DEFAULT_REQUEST_RATE, authentication: 'bearer JWT (ES256, local key set) on every POST' },
      note:
        'POST /compose: token verified, request rate counted, schema + distro validation, quota admission (one SQLite IMMEDIATE ' +
        'transaction: window and unfinished counts, insert), manifest job sent. composeToManifestStored: POST, manifest worker ' +
        'pick-up (in-process wake-up), generation, blob write, build job, state change',
    };
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
