/**
 * The runner agent process: `node --import tsx runner-ami/src/main.ts` locally (spawned by local/start.ts), the
 * bundled `runner-agent.mjs` under systemd on the AMI. Configuration comes from the environment (see config.ts).
 */
import { createLogger } from '../../layers/src/log/logger.ts';
import { RunnerAgent } from './agent.ts';
import { readRunnerConfig, type RunnerConfig } from './config.ts';
import { BuildProtection } from './instance-protection.ts';
import { parseOsbuildCommand, probeOsbuild } from './osbuild-command.ts';
import { curlProxyAdditions, keepProxyEnvironment } from './proxy-env.ts';
import { ImdsClient, watchSpotInterruption } from './spot-interruption.ts';
import { createRunnerAdapters } from './wiring.ts';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: RunnerConfig;
  const bootLog = createLogger({ component: 'runner' });
  try {
    config = readRunnerConfig(env);
  } catch (error) {
    bootLog.error('invalid runner configuration', { error });
    process.exitCode = 2;
    return;
  }
  const log = createLogger({ component: 'runner', runnerId: config.runnerId }, { level: config.logLevel });
  let adapters;
  try {
    adapters = await createRunnerAdapters(config);
  } catch (error) {
    log.error('cannot connect the runner to its queues and stores', { error, backend: config.backend });
    process.exitCode = 1;
    return;
  }
  Object.assign(process.env, curlProxyAdditions());
  const command = keepProxyEnvironment(parseOsbuildCommand(config.osbuildCommand));
  const probe = await probeOsbuild(command);
  if (!probe.ok) {
    // Say it now, loudly; every compose this runner claims fails with the same reason (OsbuildMissing).
    log.error('osbuild is not usable; every claimed compose will fail', { reason: probe.reason, command: config.osbuildCommand });
  }
  const protection = new BuildProtection(adapters.protection, (error, action) =>
    log.warn(`instance scale-in ${action} failed`, { error }),
  );
  const agent = new RunnerAgent({ store: adapters.store, blobs: adapters.blobs, queue: adapters.queue, config, log, osbuild: { command, probe }, protection });

  let stopped: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopped ??= (async () => {
      spot?.stop();
      await agent.shutdown(reason);
      await adapters.close().catch(() => {});
      log.info('runner stopped', { reason, outcomes: agent.outcomes });
    })();
    return stopped;
  };
  const spot = config.imdsEndpoint
    ? watchSpotInterruption({
        client: new ImdsClient(config.imdsEndpoint),
        intervalMs: config.imdsPollSeconds * 1000,
        log,
        onNotice: (notice) => {
          log.warn('spot interruption notice', { notice });
          // Exit 0 after handing back: systemd (Restart=on-failure) does not restart us into a dying instance.
          void stop(`spot interruption notice: ${notice.action} at ${notice.time}`).then(() => process.exit(0));
        },
      })
    : undefined;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void stop(`runner received ${signal}`).then(() => process.exit(0)));
  }

  agent.start();
  // The one line a supervisor (local/start.ts, systemd journal) waits for.
  process.stdout.write(
    `${JSON.stringify({
      level: 'info',
      time: new Date().toISOString(),
      message: 'runner ready',
      component: 'runner',
      runnerId: config.runnerId,
      queues: config.architectures.map((a) => `build-${a}`),
      osbuild: probe.ok ? probe.version : null,
      osbuildProblem: probe.ok ? undefined : probe.reason,
      concurrency: config.concurrency,
      workDir: config.workDir,
      spotWatch: Boolean(config.imdsEndpoint),
    })}\n`,
  );
}

await main();
