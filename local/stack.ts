/**
 * The one local stack assembly: the API behind an API-Gateway-compatible HTTP server, the manifest worker and the
 * dead-letter handlers in this process, runners as child processes — over the backend IBS_BACKEND chooses.
 */
import { createApiHandler } from '../functions/api/http.ts';
import { ROUTES } from '../functions/api/routes.ts';
import { createComposerHandler, serveHostedAndComposer } from '../functions/composer-v2/composer-handler.ts';
import { COMPOSER_ROUTES } from '../functions/composer-v2/composer-routes.ts';
import { createLogger, type Logger } from '../layers/src/log/logger.ts';
import type { Depsolver } from '../layers/src/packages/package-set.ts';
import type { PackageDetailsSource } from '../layers/src/packages/package-details.ts';
import type { IndexStore } from '../layers/src/depsolve/index-store.ts';
import type { BlobStore } from '../layers/src/ports/blob-store.ts';
import type { ServiceDeps } from '../layers/src/service/deps.ts';
import { SERVICE_VERSION } from '../layers/src/version.ts';
import type { StorageHealth } from '../layers/src/service/deps.ts';
import { statfs } from 'node:fs/promises';
import { openLocalBackend, type LocalBackend } from './backends.ts';
import { readLocalConfig, type LocalConfig } from './config.ts';
import { createHttpGateway, listen } from './http-gateway.ts';
import { createWebUi, localRuntimeConfig, readUiOrg } from './web-ui.ts';
import { superviseRunners, type RunnerSupervisor } from './runner-supervisor.ts';
import { startQueueWorkers } from './workers.ts';
import { MemoryRateLimiter } from '../layers/src/adapters/embedded/memory-rate-limiter.ts';
import { createBearerAuthenticator } from './auth-bearer.ts';
import { ensureLocalKeySet, signLocalToken } from './auth-keys.ts';
import { DEFAULT_REAPER_OPTIONS } from '../layers/src/service/reaper.ts';
import { startWeldrSocket, type WeldrSocket } from './weldr-socket.ts';

export interface LocalStackOptions extends Partial<LocalConfig> {
  /** Environment added to the runners' (IBS_OSBUILD, ...). */
  runnerEnv?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Default: the real depsolver, caching repository indexes in the backend's blob store. */
  depsolver?: Depsolver;
  /** The organization the web UI at / acts for (default IBS_UI_ORG, else `local`). */
  uiOrg?: string;
}

export interface LocalStack {
  url: string;
  deps: ServiceDeps;
  backend: LocalBackend;
  /** The runner processes (restarted when one dies); `runners.runners` are the live ones. */
  runners: RunnerSupervisor;
  /** A bearer token for `org` (and `user`) signed with the data directory's key, as `ibs token` mints. */
  mintToken(org: string, user?: string, ttlSeconds?: number): Promise<string>;
  /** The Weldr API's unix socket (composer-cli --socket), unless IBS_WELDR=0. */
  weldr?: WeldrSocket;
  stop(): Promise<void>;
}

/** Starts the stack; options override what IBS_* settings say (tests pass port 0 and their own data directory). */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const { runnerEnv, log: givenLog, depsolver, uiOrg = readUiOrg(), ...overrides } = options;
  const config: LocalConfig = { ...readLocalConfig(), ...overrides };
  const log = givenLog ?? createLogger({ service: `ibs-local-${config.backend}` }, { level: config.logLevel });
  const backend = await openLocalBackend(config.backend, config);
  try {
    // Imported lazily: large, and only the real distributions need it.
    const { RepoDepsolver } = await import('../layers/src/depsolve/index.ts');
    const ownDepsolver = depsolver ? undefined : new RepoDepsolver({ blobStore: backend.blobs, fileUrls: config.fileRepositories });
    const deps: ServiceDeps = {
      store: backend.store,
      blueprints: backend.blueprints,
      blobs: backend.blobs,
      queue: backend.queue,
      depsolver: depsolver ?? ownDepsolver,
      // Weldr's projects/* details (descriptions, home pages, build times), read from the same repositories.
      ...(ownDepsolver ? { packageDetails: await createPackageDetails(ownDepsolver.store, backend.blobs, config.fileRepositories) } : {}),
      log,
      config: {
        downloadUrlTtlSeconds: config.downloadUrlTtlSeconds,
        version: SERVICE_VERSION,
        fileRepositories: config.fileRepositories,
        ...(config.quotas ? { quotas: config.quotas } : {}),
        ...(config.requestRate ? { requestRate: config.requestRate } : {}),
      },
      // One API process in local mode: its own memory holds every request count.
      rateLimiter: new MemoryRateLimiter(),
      ...(backend.dataDir ? { storage: watchDisk(backend.dataDir, config.minFreeBytes) } : {}),
    };
    const keys = await ensureLocalKeySet(config.dataDir);
    const authenticate = createBearerAuthenticator({ keys, claimNames: config.claimNames, insecureOrgHeader: config.insecureOrgHeader });
    const mintUiToken = (org: string, user: string) => signLocalToken(keys, { org, user, claimNames: config.claimNames });
    const webUi = createWebUi({ log, runtimeConfig: localRuntimeConfig(uiOrg, mintUiToken) });
    const hostedApi = createApiHandler(deps, ROUTES, { authenticate });
    const composerApi = createComposerHandler(deps, { authenticate, routes: COMPOSER_ROUTES });
    const server = createHttpGateway(serveHostedAndComposer(hostedApi, composerApi), backend.downloads, { log, allowedHosts: config.allowedHosts, webUi });
    const url = `http://127.0.0.1:${await listen(server, config.port)}`;
    backend.setPublicUrl(url);
    const weldr = config.weldr ? await startWeldrSocket(config.weldr, config.dataDir, deps, log) : undefined;

    const workers = startQueueWorkers(deps, log, {
      reaperIntervalMs: config.reaperIntervalSeconds * 1000,
      reaper: { ...DEFAULT_REAPER_OPTIONS, staleAfterSeconds: config.reaperStaleAfterSeconds, maxAttempts: config.maxReceives },
      runnerStaleAfterSeconds: config.runnerStaleAfterSeconds,
    });
    const runners = superviseRunners({
      count: config.runners,
      prefix: `${config.backend === 'aws' ? 'aws-' : ''}local-runner`,
      env: { ...backend.runnerEnv(url), ...runnerEnv },
      log,
    });
    return {
      url,
      deps,
      backend,
      runners,
      ...(weldr ? { weldr } : {}),
      mintToken: (org, user = `${org}-user`, ttlSeconds) => signLocalToken(keys, { org, user, ttlSeconds, claimNames: config.claimNames }),
      stop: async () => {
        await runners.stop();
        await workers.stop();
        await weldr?.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await backend.close();
      },
    };
  } catch (error) {
    await backend.close();
    throw error;
  }
}

/** The package-details source over the depsolver's repositories (imported lazily, as the depsolver is). */
async function createPackageDetails(indexStore: IndexStore, blobStore: BlobStore, fileUrls: boolean | undefined): Promise<PackageDetailsSource> {
  const { PackageDetailsStore } = await import('../layers/src/depsolve/package-details-store.ts');
  return new PackageDetailsStore({ indexStore, blobStore, fileUrls });
}

/** Free space of the file system holding the data directory. */
const watchDisk = (dir: string, minFreeBytes: number) => async (): Promise<StorageHealth> => {
  const fs = await statfs(dir);
  return { freeBytes: fs.bavail * fs.bsize, minFreeBytes };
};
