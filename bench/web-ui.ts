/**
 * The web UI: its production bundle (JS and CSS, gzip, the targets ≤ 400 KB) and the time to interactive of the images
 * page with 1,000 composes in the organization (target ≤ 1.5 s): from navigation start until the first frame with the
 * first 20 rows (a MutationObserver in the page; also what Playwright's polling sees, later by up to its interval), in
 * headless Chromium (/usr/bin/chromium) against the local stack (no runner: the composes stay queued).
 * Reference in the same run: the time to fetch the 1,000 composes' list pages from Node (the API's share).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startLocalStack } from '../local/stack.ts';
import { buildWebUi, WEB_DIR } from '../local/web-ui.ts';
import { createLogger } from '../layers/src/log/logger.ts';
import { createCompose } from '../layers/src/service/compose-service.ts';
import { percentiles } from './stats.ts';

const COMPOSES = 1000;
const RUNS = 5;
const CHROMIUM = '/usr/bin/chromium';

function measureBundle(): { jsGzipKiB: number; cssGzipKiB: number; totalGzipKiB: number; targetKiB: number } {
  const assets = join(WEB_DIR, 'dist/assets');
  const gz = (ext: string) => readdirSync(assets).filter((f) => f.endsWith(ext)).reduce((n, f) => n + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
  const js = gz('.js');
  const css = gz('.css');
  const kib = (b: number) => Math.round((b / 1024) * 10) / 10;
  return { jsGzipKiB: kib(js), cssGzipKiB: kib(css), totalGzipKiB: kib(js + css), targetKiB: 400 };
}

export async function run() {
  // Always a fresh production build: web/dist may come from a test run (vitest's NODE_ENV=test gives React's
  // development build, ~40% more JS and slower), and the build inherits this process's environment.
  process.env.NODE_ENV = 'production';
  await buildWebUi();
  const bundle = measureBundle();
  if (!existsSync(CHROMIUM)) return { bundle, imagesPage: `skipped: chromium (${CHROMIUM}) is not installed` };

  const dataDir = mkdtempSync(join(tmpdir(), 'ibs-bench-web-'));
  const stack = await startLocalStack({
    dataDir,
    port: 0,
    runners: 0,
    quotas: undefined,
    requestRate: undefined,
    log: createLogger({}, { write: () => {} }),
  });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const request = { distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }], customizations: { hostname: 'bench' } };
    for (let i = 0; i < COMPOSES; i++) await createCompose(stack.deps, 'local', request as never);
    const headers = { authorization: `Bearer ${await stack.mintToken('local')}` };
    // Measure on a quiet machine: after the manifest worker has taken every compose past `pending`.
    const pendingLeft = async () => {
      const pages = await Promise.all(Array.from({ length: COMPOSES / 100 }, (_, p) => fetch(`${stack.url}/api/image-builder/v1/composes?limit=100&offset=${p * 100}`, { headers }).then((r) => r.json() as Promise<{ data: { status?: string }[] }>)));
      return pages.flatMap((p) => p.data).filter((c) => c.status === 'pending').length;
    };
    for (let wait = 0; (await pendingLeft()) > 0 && wait < 600; wait++) await new Promise((r) => setTimeout(r, 1000));
    const apiMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await Promise.all(Array.from({ length: COMPOSES / 100 }, (_, p) => fetch(`${stack.url}/api/image-builder/v1/composes?limit=100&offset=${p * 100}`, { headers }).then((r) => r.json())));
      apiMs.push(performance.now() - started);
    }
    const interactiveMs: number[] = [];
    const seenByPlaywrightMs: number[] = [];
    const phases: Record<string, number[]> = { scriptsAndCssLoadedMs: [], firstContentfulPaintMs: [], firstListPageAnsweredMs: [] };
    const loadAtStart = loadavg()[0];
    for (let i = 0; i < RUNS; i++) {
      // A fresh context each run: nothing cached but what a returning visitor's HTTP cache would not have either.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      // In the page: the first frame painted with 20 rows (a string: tsx's name helpers do not exist in the page).
      await page.addInitScript(`new MutationObserver((_, observer) => {
        if (document.querySelectorAll('tr[data-compose-id]').length < 20) return;
        observer.disconnect();
        requestAnimationFrame(() => { window.__rowsShownAt = performance.now(); });
      }).observe(document, { childList: true, subtree: true });`);
      await page.goto(`${stack.url}/`);
      await page.locator('tr[data-compose-id]').nth(19).waitFor({ timeout: 30_000 });
      // Playwright polls (20, 50, 100, 500 ms apart): what it sees is later than the frame by up to a poll interval.
      seenByPlaywrightMs.push(await page.evaluate(() => performance.now()));
      interactiveMs.push((await page.waitForFunction('window.__rowsShownAt').then((h) => h.jsonValue())) as number);
      // Where the time went: the entry's script and styles fetched, first paint, the newest 100 composes answered.
      // A string, not a function: tsx's name helpers do not exist in the page.
      const phase = (await page.evaluate(`(() => {
        const resources = performance.getEntriesByType('resource');
        const ends = (re) => resources.filter((r) => re.test(r.name)).map((r) => r.responseEnd);
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        return { assets: Math.max(0, ...ends(/\\/assets\\/index-.*\\.(js|css)$/)), fcp: fcp ? fcp.startTime : 0, list: Math.min(...ends(/\\/composes\\?.*offset=0/)) };
      })()`)) as { assets: number; fcp: number; list: number };
      phases.scriptsAndCssLoadedMs.push(phase.assets);
      phases.firstContentfulPaintMs.push(phase.fcp);
      phases.firstListPageAnsweredMs.push(phase.list);
      await context.close();
    }
    return {
      bundle,
      imagesPage: {
        composes: COMPOSES,
        runs: RUNS,
        timeToInteractiveMs: percentiles(interactiveMs),
        targetMs: 1500,
        seenByPlaywrightPollMs: percentiles(seenByPlaywrightMs),
        phasesP50Ms: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, percentiles(v).p50])),
        listAllPagesFromNodeMs: percentiles(apiMs),
        // The machine is shared: the figure means little without the load it was taken under.
        loadAverage1m: { atStart: +loadAtStart.toFixed(2), atEnd: +loadavg()[0].toFixed(2) },
      },
    };
  } finally {
    await browser.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
