import { createApiHandler } from '../functions/api/http.ts';
import { ROUTES } from '../functions/api/routes.ts';
import { createLogger, type Logger } from '../layers/src/log/logger.ts';
import type { ServiceDeps } from '../layers/src/service/deps.ts';
import { SERVICE_VERSION } from '../layers/src/version.ts';
import type { Depsolver } from '../layers/src/packages/package-set.ts';
import { RepoDepsolver } from '../layers/src/depsolve/index.ts';
import { createEmbeddedAdapters, defaultDataDir } from './embedded-deps.ts';
import { createHttpGateway, listen } from './http-gateway.ts';
import { spawnRunners, startQueueWorkers, stopRunners } from './workers.ts';
import type { ChildProcess } from 'node:child_process';

export interface LocalStackOptions {
  dataDir?: string;
  port?: number;
  /** Runner child processes to start (default 1). */
  runners?: number;
  /** Environment for the runners (IBS_OSBUILD, ...). */
  runnerEnv?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Default: the real depsolver, caching repository indexes in the data directory's blob store. */
  depsolver?: Depsolver;
}

export interface LocalStack {
  url: string;
  deps: ServiceDeps;
  runners: ChildProcess[];
  stop(): Promise<void>;
}


/** Local mode: the API, the manifest worker and dead-letter handlers in this process, runners as child processes. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = options.dataDir ?? defaultDataDir();
  const log = options.log ?? createLogger({ service: 'ibs-local' });
  const port = options.port ?? Number(process.env.IBS_PORT ?? 8080);

  // The public URL is known only after listening (port 0 in tests), so the blob store gets it through a holder.
  const endpoint = { url: `http://127.0.0.1:${port}` };
  const adapters = createEmbeddedAdapters({ dataDir, publicBaseUrl: endpoint.url });
  const deps: ServiceDeps = {
    store: adapters.store,
    blobs: adapters.blobs,
    queue: adapters.queue,
    depsolver: options.depsolver ?? new RepoDepsolver({ blobStore: adapters.blobs }),
    log,
    config: { downloadUrlTtlSeconds: Number(process.env.IBS_DOWNLOAD_URL_TTL ?? 3600), version: SERVICE_VERSION },
  };
  const api = createApiHandler(deps, ROUTES, { orgFromHeader: true });
  const server = createHttpGateway(api, adapters.blobs);
  const boundPort = await listen(server, port);
  endpoint.url = `http://127.0.0.1:${boundPort}`;
  adapters.blobs.setPublicBaseUrl(endpoint.url);

  const workers = startQueueWorkers(deps, log);
  const runners = spawnRunners(options.runners ?? 1, 'local-runner', {
    IBS_DATA_DIR: dataDir,
    IBS_PUBLIC_URL: endpoint.url,
    ...options.runnerEnv,
  });

  return {
    url: endpoint.url,
    deps,
    runners,
    stop: async () => {
      await stopRunners(runners);
      await workers.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      adapters.db.close();
    },
  };
}
