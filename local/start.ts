/** `npm start`: the whole service on this machine (API on 127.0.0.1:8080, manifest worker, one runner). */
import { startLocalStack } from './stack.ts';
import { defaultDataDir } from './embedded-deps.ts';

const stack = await startLocalStack({ runners: Number(process.env.IBS_RUNNERS ?? 1) });
const base = `${stack.url}/api/image-builder/v1`;
process.stdout.write(`ibs local stack: API ${base} (data in ${defaultDataDir()}, osbuild: ${process.env.IBS_OSBUILD ?? 'osbuild'})\n`);
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
