import { noteSkip, skipTitle } from '../support/skip-notice.ts';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const packerVersion = has('packer') ? /v?(\d+)\.(\d+)/.exec(execFileSync('packer', ['version'], { encoding: 'utf8' })) : null;
// Debian's packer 1.6 has the amazon builder compiled in; from 1.7 on it is a plugin that `packer init` downloads.
const builtinAmazon = packerVersion !== null && Number(packerVersion[1]) === 1 && Number(packerVersion[2]) < 7;
const validatable = builtinAmazon || (packerVersion !== null && hasAmazonPlugin());
const validateSkipReason = packerVersion === null
  ? 'packer is not installed (Debian package packer)'
  : 'packer >= 1.7 without the amazon plugin (packer init needs the network)';

function hasAmazonPlugin(): boolean {
  const run = spawnSync('packer', ['plugins', 'installed'], { encoding: 'utf8' });
  return run.status === 0 && run.stdout.includes('amazon');
}

/**
 * Constructs newer than packer 1.6 and what they are for; they are taken out of the copy that 1.6 validates, and each
 * must be found (so the template cannot drift from this list unnoticed).
 */
const NEWER_THAN_PACKER_1_6: Array<[RegExp, string]> = [
  [/^packer \{\n[\s\S]*?^\}\n/m, 'required_plugins: where packer >= 1.7 installs the amazon plugin from'],
  [/^ {2}imds_support += "v2\.0"\n/m, 'amazon plugin >= 1.1: the AMI boots with IMDSv2 only'],
  [/^ {2}metadata_options \{\n[\s\S]*?^ {2}\}\n/m, 'amazon plugin: IMDSv2 on the build instance'],
];

async function templateCopy(): Promise<{ path: string; bundle: string; remove: () => void }> {
  const path = mkdtempSync(join(tmpdir(), 'ibs-packer-'));
  cpSync(PACKER_DIR, path, { recursive: true });
  let template = readFileSync(join(path, 'runner.pkr.hcl'), 'utf8');
  if (builtinAmazon) {
    for (const [pattern, why] of NEWER_THAN_PACKER_1_6) {
      expect(pattern.test(template), `template has ${why}`).toBe(true);
      template = template.replace(pattern, '');
    }
    writeFileSync(join(path, 'runner.pkr.hcl'), template);
  }
  const { outfile: bundle } = await bundleRunner(join(path, 'dist/runner-agent.mjs'));
  return { path, bundle, remove: () => rmSync(path, { recursive: true, force: true }) };
}

function validate(dir: string, bundle: string) {
  const args = ['validate', '-var', `agent_bundle=${bundle}`, '.'];
  // Without a network namespace where we can make one: validating must not need AWS.
  const isolated = process.getuid?.() === 0 && has('unshare');
  return spawnSync(isolated ? 'unshare' : 'packer', isolated ? ['-n', 'packer', ...args] : args, {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: dir, CHECKPOINT_DISABLE: '1' },
    timeout: 60_000,
  });
}

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

describe.skipIf(noteSkip(!has('shellcheck'), 'shellcheck of the AMI provisioning scripts', 'shellcheck is not installed'))(skipTitle(!has('shellcheck'), 'AMI provisioning scripts', 'shellcheck is not installed'), () => {
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

  it.skipIf(noteSkip(!has('packer'), 'packer fmt check of the AMI template', 'packer is not installed (Debian package packer)'))(skipTitle(!has('packer'), 'is formatted the way packer fmt writes it', 'packer is not installed'), () => {
    execFileSync('packer', ['fmt', '-check', '-diff', PACKER_DIR], { encoding: 'utf8' });
  });

  describe.skipIf(noteSkip(!validatable, 'packer validate of the AMI template', validateSkipReason))(skipTitle(!validatable, 'packer validate', validateSkipReason), () => {
    it('accepts the template with the real agent bundle, scripts and unit files', async () => {
      const dir = await templateCopy();
      try {
        const run = validate(dir.path, dir.bundle);
        expect(run.stderr + run.stdout).toBe('');
        expect(run.status).toBe(0);
      } finally {
        dir.remove();
      }
    });

    it('fails when a provisioning script the template names is missing', async () => {
      const dir = await templateCopy();
      try {
        rmSync(join(dir.path, 'scripts/cleanup.sh'));
        const run = validate(dir.path, dir.bundle);
        expect(run.status).not.toBe(0);
        expect(run.stdout + run.stderr).toContain('scripts/cleanup.sh');
      } finally {
        dir.remove();
      }
    });
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
