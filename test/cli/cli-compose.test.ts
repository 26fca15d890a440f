/** `ibs` against the local stack (API, manifest worker, runner with the osbuild test double) as child processes. */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { computeManifestIds } from '../../layers/src/manifest/ids.ts';
import { mintLocalToken } from '../../local/auth-keys.ts';
import { runIbs, runIbsTty, startStack, type RunOptions, type StackProcess } from './helpers.ts';

// Each case starts `ibs` processes (and stacks); a loaded CI machine needs more than the default 30 s.
vi.setConfig({ testTimeout: 120_000 });

const work = mkdtempSync(join(tmpdir(), 'ibs-cli-compose-'));
const write = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

const MOTD = 'hello from ibs\n';
const blueprint = write(
  'motd.toml',
  `name = "motd-demo"
distro = "test-distro-1"
arch = "x86_64"

[customizations]
hostname = "demo"
colour = "blue"

[[customizations.files]]
path = "/etc/motd"
data = ${JSON.stringify(MOTD)}
mode = "0644"

[[customizations.directories]]
path = "/srv/data"
`,
);
// A compose whose archive stage the osbuild double is told to fail (by stage id).
const failing = write('fail.json', JSON.stringify({ name: 'fail', customizations: { hostname: 'fail-me' } }));

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

let stack: StackProcess;
let idle: StackProcess;
const ibs = (args: string[], options: RunOptions = {}) => runIbs(args, { ...options, env: { IBS_URL: stack.url, IBS_TOKEN: stack.token, ...options.env } });
const ibsIdle = (args: string[]) => runIbs(args, { env: { IBS_URL: idle.url, IBS_TOKEN: idle.token } });

beforeAll(async () => {
  const offline = await runIbs(['manifest', '-d', 'test-distro-1', '-t', 'tar', '-a', 'x86_64', '-b', failing]);
  expect(offline.code, offline.stderr).toBe(0);
  const ids = computeManifestIds(JSON.parse(offline.stdout));
  const tar = ids.pipelines.flatMap((p) => p.stages).find((s) => s.type === 'org.osbuild.tar');
  expect(tar?.id).toMatch(/^[0-9a-f]{64}$/);
  [stack, idle] = await Promise.all([
    // Progress written every 200 ms (not 2 s) so a terminal sees every pipeline even on a loaded machine.
    startStack({ OSBUILD_DOUBLE_STAGE_DELAY_MS: '300', OSBUILD_DOUBLE_FAIL_STAGE: tar!.id, IBS_PROGRESS_INTERVAL_MS: '200' }),
    startStack({ IBS_RUNNERS: '0' }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([stack?.stop(), idle?.stop()]);
});

describe('ibs distros and types', () => {
  it('lists distributions as a table and as JSON', async () => {
    const table = await ibs(['distros']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME +DESCRIPTION\n/);
    expect(table.stdout).toMatch(/^test-distro-1 +Test distribution/m);
    const json = await ibs(['distros', '--json']);
    expect(JSON.parse(json.stdout)).toContainEqual(expect.objectContaining({ name: 'test-distro-1' }));
  });

  it('lists image types per architecture', async () => {
    const r = await ibs(['types', '--distro', 'test-distro-1', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { distribution: 'test-distro-1', architecture: 'x86_64', image_type: 'tar' },
      { distribution: 'test-distro-1', architecture: 'x86_64', image_type: 'aws' },
      { distribution: 'test-distro-1', architecture: 'aarch64', image_type: 'tar' },
      { distribution: 'test-distro-1', architecture: 'aarch64', image_type: 'aws' },
    ]);
    const q = await ibs(['types', '-d', 'test-distro-1', '-a', 'aarch64', '-q']);
    expect(q.stdout).toBe('tar\naws\n');
  });

  it('shows the client and service versions', async () => {
    const r = await ibs(['version', '--json']);
    expect(r.code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'));
    expect(JSON.parse(r.stdout)).toEqual({ client: pkg.version, service: { version: pkg.version }, url: stack.url });
  });

  it("shows the service's message for an unknown distribution (exit 1)", async () => {
    const r = await ibs(['types', '--distro', 'nope-1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown distribution "nope-1" \(allowed: .*test-distro-1.*\) \(HTTP 400\)/);
  });
});

describe('a compose from start to download', () => {
  let id: string;
  let status: { state: string; artifacts: { name: string; size: number; sha256: string }[] };

  it('starts from a TOML blueprint (via npx), reporting unknown keys', async () => {
    const r = await ibs(['compose', 'start', '--type', 'tar', '--blueprint', blueprint, '--json'], { npx: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('unknown key customizations.colour (ignored)');
    id = JSON.parse(r.stdout).id;
    expect(id).toMatch(UUID);
  });

  it('follows the log while it builds', async () => {
    const r = await ibs(['compose', 'logs', '-f', '--interval', '0.2', id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Starting pipeline os');
    expect(r.stdout).toContain(`==> success: root.tar sha256:`);
  });

  it('waits with one plain progress line per change (not a TTY), exit 0', async () => {
    const r = await ibs(['compose', 'wait', id, '--interval', '0.2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`compose ${id} finished: success: root.tar \\(10\\.0 KiB\\)`));
    expect(r.stderr).toMatch(/^\[\d\d:\d\d:\d\d\] success/m);
    expect(r.stderr).not.toContain('\r');
  });

  it('shows the status as a table and as JSON', async () => {
    const json = await ibs(['compose', 'status', id, '--json']);
    status = JSON.parse(json.stdout);
    expect(status).toMatchObject({ state: 'success', image_status: { status: 'success' } });
    const table = await ibs(['compose', 'status', id]);
    expect(table.stdout).toMatch(/^Status: +success$/m);
    expect(table.stdout).toMatch(/^Image name: +motd-demo$/m);
    expect(table.stdout).toMatch(new RegExp(`^root.tar +10.0 KiB +${status.artifacts[0].sha256} +application/x-tar$`, 'm'));
  });

  it('lists it', async () => {
    const table = await ibs(['compose', 'list']);
    expect(table.stdout).toMatch(new RegExp(`^${id} +success +test-distro-1 +x86_64 +tar +\\S+ +motd-demo$`, 'm'));
    const quiet = await ibs(['compose', 'list', '-q', '--status', 'success']);
    expect(quiet.stdout.split('\n')).toContain(id);
    const none = await ibs(['compose', 'list', '-q', '--status', 'building']);
    expect(none.stdout.split('\n')).not.toContain(id);
  });

  it('prints the manifest it built, the same one "ibs manifest" generates offline', async () => {
    const built = await ibs(['compose', 'manifest', id]);
    expect(built.code).toBe(0);
    const manifest = JSON.parse(built.stdout);
    expect(manifest.pipelines.map((p: { name: string }) => p.name)).toEqual(['os', 'archive']);
    const offline = await runIbs(['manifest', '--type', 'tar', '--blueprint', blueprint]);
    expect(offline.code).toBe(0);
    expect(JSON.parse(offline.stdout)).toEqual(manifest);
  });

  it('prints the log and the (empty) package metadata', async () => {
    const logs = await ibs(['compose', 'logs', id, '--json']);
    expect(JSON.parse(logs.stdout)).toMatchObject({ offset: 0, complete: true, logs: expect.stringContaining('Starting module org.osbuild.tar') });
    const meta = await ibs(['compose', 'metadata', id]);
    expect(meta.code).toBe(0);
    expect(meta.stdout).toBe('NAME  EPOCH  VERSION  RELEASE  ARCH  SIGMD5\n');
    expect(meta.stderr).toContain('(0 packages)');
  });

  it('downloads the image and verifies its sha256', async () => {
    const dir = join(work, 'out');
    const r = await ibs(['compose', 'download', id, '-o', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('downloaded root.tar (10.0 KiB), sha256 verified');
    const [file] = JSON.parse(r.stdout);
    expect(file).toMatchObject({ name: 'root.tar', path: join(dir, 'root.tar'), size: 10240, verified: true, sha256: status.artifacts[0].sha256 });
    const bytes = readFileSync(join(dir, 'root.tar'));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(status.artifacts[0].sha256);
    expect(bytes.toString('latin1')).toContain(MOTD);
    expect(readdirSync(dir)).toEqual(['root.tar']);
  });

  it('refuses a download whose bytes do not match the recorded checksum, keeping nothing', async () => {
    const stored = findFile(join(stack.dataDir), 'root.tar', id);
    const bytes = readFileSync(stored);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(stored, bytes);
    const dir = join(work, 'tampered');
    const r = await ibs(['compose', 'download', id, '-o', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr, r.stderr).toMatch(new RegExp(`(checksum mismatch for root.tar: expected sha256 ${status.artifacts[0].sha256}|download of root.tar was cut off after \\d+ bytes .*nothing was kept)`));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('cannot cancel a finished compose (exit 1, the service says why)', async () => {
    const r = await ibs(['compose', 'cancel', id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`compose ${id} already finished (success) (HTTP 409)`);
  });

  it('does not show the compose to another organization', async () => {
    const other = await mintLocalToken({ dataDir: stack.dataDir, org: 'someone-else', user: 'mallory' });
    const r = await ibs(['compose', 'status', id, '--token', other]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`compose ${id} not found (HTTP 404)`);
  });
});

describe('progress on a terminal', () => {
  it('start --wait draws a bar with the pipeline and stage, redrawn in place; download shows a meter', async () => {
    // start --wait watches from the first moment, so the bar sees the build whatever the machine's speed; a tree
    // of its own, because the runner's osbuild store would otherwise serve the os pipeline from its cache.
    const bp = write('tty.json', JSON.stringify({ distro: 'test-distro-1', arch: 'x86_64', customizations: { hostname: 'tty-demo' } }));
    const r = await runIbsTty(['compose', 'start', '-t', 'tar', '-b', bp, '--wait', '--interval', '0.1'], { env: { IBS_URL: stack.url, IBS_TOKEN: stack.token } });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\r\x1b\[2K\[[#-]{24}\] +\d+% building .*pipeline os \(\d\/\d\), stage org\.osbuild\.\w+/);
    const id = UUID.exec(r.stdout)![0];
    expect(r.stdout).toContain(`compose ${id} finished: success`);
    const dir = join(work, 'tty-download');
    const download = await runIbsTty(['compose', 'download', id, '-o', dir], { env: { IBS_URL: stack.url, IBS_TOKEN: stack.token } });
    expect(download.code, download.stdout).toBe(0);
    expect(download.stdout).toMatch(/\r\x1b\[2K\[#{24}\] 100% root\.tar  10\.0 KiB \/ 10\.0 KiB/);
    expect(readdirSync(dir)).toEqual(['root.tar']);
  });
});

describe('failures', () => {
  it('wait exits 1 with the reason when the build fails', async () => {
    const start = await ibs(['compose', 'start', '-d', 'test-distro-1', '-t', 'tar', '-a', 'x86_64', '-b', failing, '-q']);
    expect(start.code, start.stderr).toBe(0);
    const id = start.stdout.trim();
    const wait = await ibs(['compose', 'wait', id, '--interval', '0.2']);
    expect(wait.code).toBe(1);
    expect(wait.stderr).toMatch(new RegExp(`compose ${id} finished: failure: .+`));
    const json = await ibs(['compose', 'wait', id, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ id, state: 'failure' });
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { exit_code: 1, compose_error: { reason: expect.stringContaining('org.osbuild.tar') } } });
    const download = await ibs(['compose', 'download', id, '-o', join(work, 'never')]);
    expect(download.code).toBe(1);
    expect(download.stderr).toContain('only successful composes have images to download');
    const logs = await ibs(['compose', 'logs', id]);
    expect(logs.stdout).toContain('injected failure for org.osbuild.tar');
  });

  it('start --wait returns the result as its exit code', async () => {
    const r = await ibs(['compose', 'start', '-d', 'test-distro-1', '-t', 'tar', '-a', 'aarch64', '--wait', '--interval', '0.2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'success', request: { image_requests: [{ architecture: 'aarch64' }] } });
  });

  it("shows the service's validation message for a bad request (exit 1)", async () => {
    const r = await ibs(['compose', 'start', '-d', 'test-distro-1', '-t', 'qcow9', '-a', 'x86_64']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/image_requests\[0\]\.image_type: image type "qcow9" is not available .*\(HTTP 400\)/);
  });

  it('refuses blueprint settings the API cannot express, before calling the service', async () => {
    const bp = write('sshd.toml', '[customizations.sshd]\nPasswordAuthentication = false\n[customizations.timezone]\ntimezone = "UTC"\n');
    const r = await ibs(['compose', 'start', '-d', 'test-distro-1', '-t', 'tar', '-b', bp]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the Image Builder API cannot express "customizations.sshd"');
  });

  it('--strict turns unknown blueprint keys into an error', async () => {
    const r = await ibs(['compose', 'start', '-t', 'tar', '-b', blueprint, '--strict']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown key customizations.colour (--strict)');
  });
});

describe('a compose no runner picks up', () => {
  it('wait --timeout gives up (exit 1), cancel cancels it, wait then reports cancelled', async () => {
    const start = await ibsIdle(['compose', 'start', '-d', 'test-distro-1', '-t', 'tar', '-a', 'x86_64', '-q']);
    const id = start.stdout.trim();
    expect(id).toMatch(UUID);
    const timeout = await ibsIdle(['compose', 'wait', id, '--timeout', '1', '--interval', '0.2']);
    expect(timeout.code).toBe(1);
    expect(timeout.stderr).toMatch(new RegExp(`compose ${id} did not finish within 1s \\(still (pending|queued)\\)`));
    const cancel = await ibsIdle(['compose', 'cancel', id]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toBe(`compose ${id} cancelled\n`);
    const wait = await ibsIdle(['compose', 'wait', id]);
    expect(wait.code).toBe(1);
    expect(wait.stderr).toContain(`compose ${id} finished: cancelled: compose was cancelled`);
    const status = await ibsIdle(['compose', 'status', id]);
    expect(status.stdout).toMatch(/^Status: +cancelled$/m);
    expect(status.stdout).toMatch(/^Error: +compose was cancelled/m);
  });
});

function findFile(root: string, name: string, mustContain: string): string {
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.name === name && path.includes(mustContain) && path.includes('objects')) return path;
    }
  }
  throw new Error(`${name} of ${mustContain} not found under ${root} (${existsSync(root)})`);
}
