import { noteSkip } from '../support/skip-notice.ts';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleRunner } from '../../runner-ami/build.ts';
import { REPO } from './helpers.ts';

const PACKER_DIR = join(REPO, 'runner-ami/packer');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const scripts = [
  ...readdirSync(join(PACKER_DIR, 'scripts')).map((f) => join(PACKER_DIR, 'scripts', f)),
  ...readdirSync(join(PACKER_DIR, 'files')).filter((f) => f.endsWith('.sh')).map((f) => join(PACKER_DIR, 'files', f)),
];

describe('runner agent bundle', () => {
  it('bundles to one file that starts with plain node and explains a missing backend', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibs-bundle-'));
    try {
      const { outfile, bytes } = await bundleRunner(join(dir, 'runner-agent.mjs'));
      expect(bytes).toBeGreaterThan(10_000);
      const bundle = readFileSync(outfile, 'utf8');
      expect(bundle).not.toMatch(/from ['"]better-sqlite3['"]/);
      // No node_modules next to it: run from an empty directory with the embedded backend asked for.
      const run = spawnSync(process.execPath, [outfile], {
        cwd: dir,
        env: { PATH: process.env.PATH, IBS_DATA_DIR: dir, IBS_OSBUILD: '/nonexistent/osbuild' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('cannot connect the runner to its queues and stores');
      expect(run.stderr).toContain('no embedded backend');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(noteSkip(!has('shellcheck'), 'shellcheck of the AMI provisioning scripts', 'shellcheck is not installed'))('AMI provisioning scripts', () => {
  it.each(scripts.map((s) => [s.slice(REPO.length + 1), s]))('%s passes shellcheck', (_name, script) => {
    execFileSync('shellcheck', ['-x', script], { encoding: 'utf8' });
  });
});

describe('AMI template and units', () => {
  const template = readFileSync(join(PACKER_DIR, 'runner.pkr.hcl'), 'utf8');
  it('builds both architectures from Fedora Cloud with IMDSv2 only, and publishes the AMI id to SSM', () => {
    expect(template).toMatch(/source "amazon-ebs" "runner"/);
    expect(template).toMatch(/name\s+= "x86_64"/);
    expect(template).toMatch(/name\s+= "aarch64"/);
    expect(template).toMatch(/Fedora-Cloud-Base-AmazonEC2\.aarch64-/);
    expect(template).toMatch(/http_tokens\s+= "required"/);
    expect(template).toContain('runner-ami/${source.name}');
  });

  it.skipIf(noteSkip(!has('packer'), 'packer fmt check of the AMI template', 'packer is not installed (not packaged for Debian)'))('is formatted the way packer fmt writes it', () => {
    execFileSync('packer', ['fmt', '-check', '-diff', PACKER_DIR], { encoding: 'utf8' });
  });

  it('runs the agent under systemd with sandboxing, restarted only on failure', () => {
    const unit = readFileSync(join(PACKER_DIR, 'files/ibs-runner.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/ibs-runner\/runner-agent\.mjs$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/ibs\/runner\.env$/m);
    if (has('systemd-analyze')) {
      const verify = spawnSync('systemd-analyze', ['verify', '--man=no', join(PACKER_DIR, 'files/ibs-runner.service')], { encoding: 'utf8' });
      // Only syntax matters here; the referenced binaries and dependencies exist on the AMI, not on this host.
      expect(verify.stderr).not.toMatch(/Unknown (key|section)|Failed to parse/);
    }
  });
});
