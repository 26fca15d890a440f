import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createApiHandler } from '../functions/api/http.ts';
import { ROUTES } from '../functions/api/routes.ts';
import { createManifestWorkerHandler } from '../functions/manifest-worker.ts';
import { createDeadLetterHandler } from '../functions/dead-letter.ts';
import { createLogger, type Logger } from '../layers/src/log/logger.ts';
import type { ServiceDeps } from '../layers/src/service/deps.ts';
import { SERVICE_VERSION } from '../layers/src/version.ts';
import { deadLetterQueueOf } from '../layers/src/ports/job-queue.ts';
import type { Depsolver } from '../layers/src/packages/package-set.ts';
import { RepoDepsolver } from '../layers/src/depsolve/index.ts';
import { createEmbeddedAdapters, defaultDataDir } from './embedded-deps.ts';
import { createHttpGateway, listen } from './http-gateway.ts';
import { startQueueConsumer } from './queue-consumer.ts';

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

const ARCHITECTURES = ['x86_64', 'aarch64'];
const RUNNER_MAIN = fileURLToPath(new URL('../runner-ami/src/main.ts', import.meta.url));

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

  const consumers = [
    startQueueConsumer(deps.queue, 'manifest', createManifestWorkerHandler(deps), log),
    startQueueConsumer(deps.queue, deadLetterQueueOf('manifest'), createDeadLetterHandler(deps, 'manifest'), log),
    ...ARCHITECTURES.map((arch) =>
      startQueueConsumer(deps.queue, deadLetterQueueOf(`build-${arch}`), createDeadLetterHandler(deps, `build-${arch}`), log),
    ),
  ];

  const runners: ChildProcess[] = [];
  for (let i = 0; i < (options.runners ?? 1); i++) {
    runners.push(
      spawn(process.execPath, ['--import', 'tsx', RUNNER_MAIN], {
        env: {
          ...process.env,
          IBS_DATA_DIR: dataDir,
          IBS_PUBLIC_URL: endpoint.url,
          IBS_RUNNER_ID: `local-runner-${i + 1}`,
          IBS_ARCHITECTURES: process.env.IBS_ARCHITECTURES ?? ARCHITECTURES.join(','),
          ...options.runnerEnv,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      }),
    );
  }

  return {
    url: endpoint.url,
    deps,
    runners,
    stop: async () => {
      await Promise.all(
        runners.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await once(child, 'exit');
          clearTimeout(timer);
        }),
      );
      await Promise.all(consumers.map((c) => c.stop()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      adapters.db.close();
    },
  };
}
