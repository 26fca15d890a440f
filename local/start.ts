/** `npm start`: the whole service on this machine (API on 127.0.0.1:8080, manifest worker, one runner). */
import { ConfigError } from '../layers/src/config/env.ts';
import { readLocalConfig } from './config.ts';
import { startLocalStack } from './stack.ts';
import { checkDistributions } from '../layers/src/distro/registry.ts';
import { authDirOf } from './auth-keys.ts';

const INSECURE_WARNING =
  'WARNING: IBS_INSECURE_ORG_HEADER=1: requests without a token act for the organization their X-Org-Id header names ' +
  '(default "local"); anyone who can reach this port can read and write every organization. For development only.';

/** What a new user needs to read instead of a stack trace. */
function explainStartFailure(error: unknown, port: number): string {
  const code = (error as { code?: string }).code;
  if (code === 'EADDRINUSE') return `port ${port} on 127.0.0.1 is already in use: stop what uses it or set IBS_PORT to a free port (e.g. IBS_PORT=8081 npm start)`;
  if (code === 'EACCES') return `not allowed to listen on port ${port}: set IBS_PORT to a port above 1023`;
  if (error instanceof ConfigError) return `bad setting: ${error.message}`;
  return `could not start: ${(error as Error).message ?? String(error)}`;
}

async function main(): Promise<void> {
  let config;
  try {
    config = readLocalConfig();
    checkDistributions();
  } catch (error) {
    process.stderr.write(`ibs: ${explainStartFailure(error, 0)}\n`);
    process.exit(2);
  }
  let stack;
  try {
    stack = await startLocalStack(config);
  } catch (error) {
    process.stderr.write(`ibs: ${explainStartFailure(error, config.port)}\n`);
    process.exit(1);
  }
  const base = `${stack.url}/api/image-builder/v1`;
  process.stdout.write(`ibs local stack: API ${base} (${stack.backend.describe()}; osbuild: ${config.osbuild})\n`);
  if (config.insecureOrgHeader) process.stderr.write(`${INSECURE_WARNING}\n`);
  else process.stdout.write(`requests need a bearer token: npx ibs token --org ORG --user USER (key in ${authDirOf(config.dataDir)})\n`);
  if (stack.weldr) process.stdout.write(`Weldr API (composer-cli --socket ${stack.weldr.socketPath}) for organization ${config.weldr?.orgId}\n`);
  process.stdout.write(`ready: ${base}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping (runners hand back their jobs)...\n`);
    await stack.stop();
    process.stdout.write('stopped\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

await main();
