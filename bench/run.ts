/**
 * `npm run bench [-- case ...]`: runs every bench case (bench/<case>.ts exporting `run()`), prints the figures and
 * writes them to bench/results/<case>.json with the machine and time. Cases compare against a reference measured in
 * the same run (ratios), so the figures mean something on any machine.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const cases = (await readdir(dir))
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'stats.ts'].includes(f) && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

await mkdir(`${dir}results`, { recursive: true });
let failed = 0;
for (const name of cases) {
  const module = (await import(pathToFileURL(`${dir}${name}.ts`).href)) as { run?: () => Promise<unknown> };
  if (typeof module.run !== 'function') continue;
  process.stdout.write(`\n== bench ${name}\n`);
  const started = Date.now();
  try {
    const figures = await module.run();
    const result = {
      case: name,
      at: new Date().toISOString(),
      seconds: (Date.now() - started) / 1000,
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      figures,
    };
    await writeFile(`${dir}results/${name}.json`, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  } catch (error) {
    failed++;
    process.stdout.write(`bench ${name} failed: ${(error as Error).stack}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
