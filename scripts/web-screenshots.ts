/**
 * `npm run screenshots`: regenerates docs/screenshots/*.png, the web UI's main pages as the README shows them, from a
 * local stack on the osbuild test double (a few images built, one building, a blueprint) in headless Chromium.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalStack } from '../local/stack.ts';
import { ensureWebUiBuilt } from '../local/web-ui.ts';
import { createLogger } from '../layers/src/log/logger.ts';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'docs/screenshots');
const API = '/api/image-builder/v1';

if (!existsSync(CHROMIUM)) {
  process.stderr.write(`screenshots need chromium (${CHROMIUM}): apt-get install chromium\n`);
  process.exit(2);
}
await ensureWebUiBuilt();
mkdirSync(OUT, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'ibs-screenshots-'));
const stack = await startLocalStack({
  dataDir,
  port: 0,
  runners: 1,
  log: createLogger({}, { write: () => {} }),
  runnerEnv: { IBS_OSBUILD: join(ROOT, 'test/osbuild-double/osbuild'), OSBUILD_DOUBLE_STAGE_DELAY_MS: '1500', IBS_PROGRESS_INTERVAL_MS: '200', IBS_ARCHITECTURES: 'x86_64' },
});
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${await stack.mintToken('local')}` };
  const post = async (path: string, body: unknown) => (await (await fetch(`${stack.url}${API}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as { id: string };
  const tar = (name: string) => ({ distribution: 'test-distro-1', image_name: name, image_requests: [{ architecture: 'x86_64', image_type: 'tar' }], customizations: { hostname: name } });
  const blueprint = await post('/blueprints', { name: 'web-server', description: 'A small web server image', distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }], customizations: { hostname: 'web01' } });
  await post(`/blueprints/${blueprint.id}/compose`, {});
  const first = await post('/compose', tar('base-image'));
  const waitDone = async (id: string) => {
    for (let i = 0; i < 120; i++) {
      const s = (await (await fetch(`${stack.url}${API}/composes/${id}`, { headers })).json()) as { state: string };
      if (['success', 'failure', 'cancelled'].includes(s.state)) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  await waitDone(first.id);
  const building = await post('/compose', tar('building-now'));

  const shoot = async (path: string, file: string, viewport = { width: 1280, height: 800 }, act?: (page: import('playwright-core').Page) => Promise<void>) => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${stack.url}${path}`);
    await page.locator('h2').first().waitFor();
    await page.waitForTimeout(1200);
    if (act) await act(page);
    await page.screenshot({ path: join(OUT, file) });
    await context.close();
    process.stdout.write(`docs/screenshots/${file}\n`);
  };
  await shoot('/', 'images.png', undefined, (page) => page.locator('[data-state="building"]').first().waitFor({ timeout: 30_000 }));
  await shoot('/', 'images-narrow.png', { width: 414, height: 860 });
  await shoot('/images/new', 'wizard.png', undefined, async (page) => {
    await page.locator('#field-name').fill('my-image');
    await page.locator('#field-distribution').selectOption('test-distro-1');
    await page.locator('#field-imageType').selectOption('tar');
  });
  await shoot(`/images/${building.id}`, 'image-log.png', undefined, async (page) => {
    await page.getByRole('tab', { name: 'Build log' }).click();
    await page.waitForTimeout(2500);
  });
  await shoot(`/images/${first.id}`, 'image-details.png');
  await shoot('/blueprints', 'blueprints.png');
  await shoot(`/blueprints/${blueprint.id}`, 'blueprint.png');
} finally {
  await browser.close();
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
