/**
 * The web UI's journeys in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against a
 * local stack with one runner on the osbuild test double: what a new user does, clicked through the pages.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { LocalStack } from '../../local/stack.ts';
import { ensureWebUiBuilt } from '../../local/web-ui.ts';
import { postTarCompose, startDoubleStack, tarMembers, waitFor } from '../runner/helpers.ts';
import { noteSkip, skipTitle } from '../support/skip-notice.ts';

const CHROMIUM = '/usr/bin/chromium';
const missing = noteSkip(!existsSync(CHROMIUM), 'web UI browser journeys', `chromium (${CHROMIUM}) is not installed`);
const API = '/api/image-builder/v1';

describe.skipIf(missing)(skipTitle(missing, 'web UI journeys in Chromium', `chromium (${CHROMIUM}) missing`), () => {
  let stack: LocalStack;
  let browser: Browser;
  let dataDir: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ibs-web-e2e-'));
    await ensureWebUiBuilt();
    // Each stage of the double takes 1.2 s: long enough to see progress and cancel on a busy machine, short enough
    // for a quick build.
    stack = await startDoubleStack(dataDir, 1200);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  // UI waits below allow 30 s: the pages poll the API every 1.5-2 s, and Chromium shares two loaded cores with the
  // stack, its runner and the rest of the suite.

  /** A page of a fresh browser context (its own storage), failing the test on any script error in the page. */
  async function openPage(viewport = { width: 1280, height: 800 }): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    return { page, errors };
  }

  const asOrg = async (org: string) => ({ authorization: `Bearer ${await stack.mintToken(org)}` });

  async function chooseOutput(page: Page, name: string) {
    await page.locator('#field-name').fill(name);
    await page.locator('#field-distribution').selectOption('test-distro-1');
    await page.locator('#field-imageType').selectOption('tar');
  }

  /** A step button of the wizard's navigation (behind its toggle on a narrow screen). */
  async function wizardStep(page: Page, name: string) {
    const toggle = page.getByRole('button', { name: 'Wizard toggle' });
    if ((await toggle.isVisible()) && (await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    return page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: new RegExp(`^${name}( \\(has errors\\))?$`) });
  }

  interface StatusBody {
    state: string;
    request: { image_name?: string; customizations: { hostname?: string; files: { path: string }[] } };
  }
  const readStatus = async (id: string) => (await (await fetch(`${stack.url}${API}/composes/${id}`, { headers: await asOrg('local') })).json()) as StatusBody;

  it('creates an image through the wizard, watches it build to success and downloads it', async () => {
    const { page, errors } = await openPage();
    await page.goto(`${stack.url}/`);
    await page.getByRole('button', { name: 'Create image' }).click();
    await chooseOutput(page, 'e2e-first-image');
    await (await wizardStep(page, 'System')).click();
    await page.locator('#field-hostname').fill('e2e-host');
    await (await wizardStep(page, 'Files and directories')).click();
    await page.getByRole('button', { name: 'Add file' }).click();
    await page.locator('#field-files-0-path').fill('/etc/motd');
    await page.locator('#field-files-0-data').fill('built in the browser\n');
    await (await wizardStep(page, 'Review')).click();
    // The review resolves the manifest: the test distribution installs no packages.
    await expect.poll(() => page.getByTestId('resolved-packages').textContent(), { timeout: 30_000 }).toBe('0');
    await page.getByRole('button', { name: 'Show the manifest' }).click();
    await expect(page.getByLabel('Manifest preview').textContent()).resolves.toContain('org.osbuild');
    await page.getByRole('button', { name: 'Create image', exact: true }).click();

    await page.waitForURL(/\/images\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop()!;
    // While it builds: a progress bar naming the pipeline.
    await page.getByRole('progressbar').first().waitFor({ timeout: 30_000 });
    await page.locator('[data-state="success"]').waitFor({ timeout: 60_000 });
    await page.getByRole('tab', { name: 'Build log' }).click();
    await expect.poll(() => page.getByTestId('build-log').textContent(), { timeout: 30_000 }).toContain(`compose ${id}`);
    await page.getByRole('tab', { name: 'Overview' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download root\.tar/ }).click()]);
    const members = tarMembers(readFileSync((await download.path())!));
    expect(members.some((m) => m.replace(/^\.\//, '') === 'etc/motd')).toBe(true);

    // The list shows it, newest first, ready, with a download link.
    await page.getByRole('link', { name: 'Images' }).first().click();
    const row = page.locator(`tr[data-compose-id="${id}"]`);
    await row.locator('[data-state="success"]').waitFor();
    // The download link comes with the compose's status, asked for after the row shows.
    await row.getByRole('link', { name: 'Download e2e-first-image' }).waitFor({ timeout: 30_000 });
    // The image type filter is the API's: every other type as ignoreImageTypes, which the API accepts.
    const [filtered] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/composes?') && r.url().includes('ignoreImageTypes='), { timeout: 30_000 }),
      page.locator('#filter-type').selectOption('tar'),
    ]);
    expect(filtered.status()).toBe(200);
    expect(new URL(filtered.url()).searchParams.get('ignoreImageTypes')!.split(',')).not.toContain('tar');
    await row.waitFor({ timeout: 30_000 });
    // So are status and distribution: the API filters and counts, the browser asks for one page.
    const [byStatus] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/composes?') && r.url().includes('status=success'), { timeout: 30_000 }),
      page.locator('#filter-status').selectOption('success'),
    ]);
    expect(byStatus.status()).toBe(200);
    expect(new URL(byStatus.url()).searchParams.get('limit')).not.toBe('100');
    await row.waitFor({ timeout: 30_000 });
    const [byDistribution] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/composes?') && r.url().includes('distribution=test-distro-1'), { timeout: 30_000 }),
      page.locator('#filter-distribution').selectOption('test-distro-1'),
    ]);
    expect(byDistribution.status()).toBe(200);
    expect(((await byDistribution.json()) as { meta: { count: number } }).meta.count).toBeGreaterThan(0);
    await row.waitFor({ timeout: 30_000 });
    expect(errors).toEqual([]);
  }, 120_000);

  it('cancels a build from the images list mid-build, then deletes it', async () => {
    // Files and directories add stages: a build of several seconds to cancel in.
    const files = Array.from({ length: 4 }, (_, i) => ({ path: `/etc/cancel-${i}`, data: 'x\n' }));
    const response = await postTarCompose(stack, { hostname: 'to-cancel', files, directories: [{ path: '/srv/cancel' }] });
    const { id } = (await response.json()) as { id: string };
    const { page, errors } = await openPage();
    await page.goto(`${stack.url}/`);
    const row = page.locator(`tr[data-compose-id="${id}"]`);
    await row.locator('[data-state="building"]').waitFor({ timeout: 30_000 });
    await row.getByRole('button', { name: /^Cancel / }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel build' }).click();
    await row.locator('[data-state="cancelled"]').waitFor({ timeout: 30_000 });
    const status = await readStatus(id);
    expect(status.state).toBe('cancelled');
    // Then delete it: gone from the list and from the API.
    await row.getByRole('button', { name: /^Delete / }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached', timeout: 30_000 });
    const gone = await fetch(`${stack.url}${API}/composes/${id}`, { headers: await asOrg('local') });
    expect(gone.status).toBe(404);
    expect(errors).toEqual([]);
  }, 90_000);

  it('imports a composer-cli TOML blueprint through the API, shows its warnings, and builds an image from it', async () => {
    const toml = join(dataDir, 'e2e-blueprint.toml');
    writeFileSync(toml, 'name = "e2e-toml"\ndescription = "from composer-cli"\nversion = "0.0.1"\ndistro = "test-distro-1"\n\n[customizations]\nhostname = "from-toml"\ncolour = "blue"\n');
    const { page, errors } = await openPage();
    await page.goto(`${stack.url}/blueprints`);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.locator('#import-file input[type="file"], input[type="file"]').first().setInputFiles(toml);
    // The file's distro offers its image types; the service converts the TOML and saves it.
    await page.locator('#import-image-type option[value="tar"]').waitFor({ state: 'attached', timeout: 30_000 });
    await page.locator('#import-image-type').selectOption('tar');
    await page.getByRole('dialog').getByRole('button', { name: 'Import', exact: true }).click();
    const warnings = page.getByRole('list', { name: 'Import warnings' });
    await warnings.waitFor({ timeout: 30_000 });
    expect(await warnings.textContent()).toContain('customizations.colour');
    await page.getByRole('button', { name: 'Open the blueprint' }).click();
    await page.waitForURL(/\/blueprints\/[0-9a-f-]{36}$/);
    const blueprintId = page.url().split('/').pop()!;
    const stored = (await (await fetch(`${stack.url}${API}/blueprints/${blueprintId}`, { headers: await asOrg('local') })).json()) as { name: string; customizations: { hostname?: string } };
    expect(stored).toMatchObject({ name: 'e2e-toml', customizations: { hostname: 'from-toml' } });
    // Export gives the composer TOML back from the service.
    const [exported] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export as composer-cli TOML' }).click()]);
    expect(exported.suggestedFilename()).toBe('e2e-toml.toml');
    expect(readFileSync((await exported.path())!, 'utf8')).toMatch(/name = "e2e-toml"[\s\S]*hostname = "from-toml"/);
    const blueprintPage = page.url();
    await page.getByRole('button', { name: 'Build image' }).click();
    await page.waitForURL(/\/images\/[0-9a-f-]{36}$/);
    await page.locator('[data-state="success"]').waitFor({ timeout: 60_000 });
    const imageId = page.url().split('/').pop()!;
    await page.goto(blueprintPage);
    // PatternFly tables are role=grid.
    const firstImage = page.locator('table[aria-label="Images of this blueprint"]').getByRole('link').first();
    await firstImage.waitFor({ timeout: 30_000 });
    const listed = await firstImage.getAttribute('href');
    expect(listed).toBe(`/images/${imageId}`);
    expect(errors).toEqual([]);
  }, 120_000);

  it('shows an API validation error next to its field, and the fix needs no retyping', async () => {
    const { page, errors } = await openPage({ width: 480, height: 900 });
    await page.goto(`${stack.url}/images/new`);
    await chooseOutput(page, 'e2e-keep-me');
    await (await wizardStep(page, 'System')).click();
    await page.locator('#field-hostname').fill('kept-host');
    await (await wizardStep(page, 'Files and directories')).click();
    await page.getByRole('button', { name: 'Add file' }).click();
    // Client-side checks pass (absolute path); the service's path policy refuses it.
    await page.locator('#field-files-0-path').fill('/etc/passwd');
    await page.locator('#field-files-0-data').fill('root::0:0::/root:/bin/sh\n');
    await (await wizardStep(page, 'Review')).click();
    await page.getByRole('button', { name: 'Create image', exact: true }).click();
    // Back on the files step, the message under the path field, the field focused.
    const message = page.locator('[data-field-error="files.0.path"]');
    await message.waitFor({ timeout: 30_000 });
    expect(await message.textContent()).toMatch(/passwd|not allowed|denied|policy/i);
    expect(await page.locator('#field-files-0-path').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#field-files-0-data').inputValue()).toBe('root::0:0::/root:/bin/sh\n');
    await page.locator('#field-files-0-path').fill('/etc/motd');
    expect(await message.count()).toBe(0);
    await (await wizardStep(page, 'Review')).click();
    await page.getByRole('button', { name: 'Create image', exact: true }).click();
    await page.waitForURL(/\/images\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop()!;
    const status = await readStatus(id);
    expect(status.request.image_name).toBe('e2e-keep-me');
    expect(status.request.customizations.hostname).toBe('kept-host');
    expect(status.request.customizations.files[0].path).toBe('/etc/motd');
    expect(errors).toEqual([]);
  }, 90_000);

  it("shows a second organization none of the first's images", async () => {
    const first = await postTarCompose(stack, { hostname: 'org-one' });
    const { id } = (await first.json()) as { id: string };
    const { page, errors } = await openPage();
    const token = await stack.mintToken('e2e-other-org');
    // The UI reads its credentials from /config.json: this browser acts for the other organization.
    await page.route('**/config.json', (route) => route.fulfill({ json: { apiBase: API, auth: { mode: 'local', org: 'e2e-other-org', token } } }));
    await page.goto(`${stack.url}/`);
    await page.getByText('No images yet').waitFor({ timeout: 30_000 });
    expect(await page.locator('tr[data-compose-id]').count()).toBe(0);
    await page.goto(`${stack.url}/images/${id}`);
    await page.getByText('Could not read this image').waitFor({ timeout: 30_000 });
    expect(errors).toEqual([]);
  }, 90_000);
});
