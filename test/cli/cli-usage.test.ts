/** `ibs` without a service: help, usage errors, exit codes, configuration precedence, completion. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { COMMANDS } from '../../cli/src/main.ts';
import { IBS_BIN, REPO, closedPort, runIbs } from './helpers.ts';

// Each case starts `ibs` processes (and stacks); a loaded CI machine needs more than the default 30 s.
vi.setConfig({ testTimeout: 120_000 });

describe('ibs help and usage', () => {
  it('runs through npx as installed and prints its version', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    const r = await runIbs(['--version'], { npx: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('--help lists every command and the exit codes', async () => {
    const r = await runIbs(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(`ibs ${c.path.join(' ')}`);
    expect(r.stdout).toMatch(/0 ok, 1 .*2 usage.*3 service unreachable/);
  });

  it('every command has --help with usage and an example', async () => {
    const results = await Promise.all(COMMANDS.map((c) => runIbs([...c.path, '--help'])));
    results.forEach((r, i) => {
      const c = COMMANDS[i];
      expect(r.code, c.path.join(' ')).toBe(0);
      expect(r.stdout).toContain(`Usage: ibs ${c.path.join(' ')}`);
      expect(r.stdout).toMatch(/Examples?:\n {2}.*\bibs /);
      expect(c.examples.length).toBeGreaterThan(0);
    });
  });

  it('help works before the command too, and for a group', async () => {
    const r = await runIbs(['--json', 'compose', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ibs compose download');
    expect(r.stdout).not.toContain('ibs distros');
  });

  it('exits 2 with help on stderr when no command is given', async () => {
    for (const args of [[], ['compose']]) {
      const r = await runIbs(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('Commands:');
    }
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['compose', 'frob'], /unknown command "compose frob"/],
    [['distros', '--frob'], /ibs distros: unknown option '--frob'/],
    [['compose', 'status'], /ibs compose status: missing ID/],
    [['compose', 'status', 'not-a-uuid'], /"not-a-uuid" is not a compose id/],
    [['compose', 'status', '0b5e0f53-64b2-4c53-8e0f-6b4b25d3b2a1', 'extra'], /unexpected argument "extra"/],
    [['compose', 'start', '--distro', 'x'], /--type is required/],
    [['compose', 'wait', '0b5e0f53-64b2-4c53-8e0f-6b4b25d3b2a1', '--timeout', 'soon'], /--timeout must be a number/],
    [['compose', 'start', '--distro', 'x', '--type', 'tar', '--size', '4 parsecs'], /--size: "4 parsecs" is not a size \(a number of MiB/],
    [['completion', 'zsh'], /unsupported shell "zsh"/],
    [['--url', 'ftp://x', 'distros'], /must be an http:\/\/ or https:\/\/ URL/],
  ])('usage error %j exits 2', async (args, message) => {
    const r = await runIbs(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('--help" for usage');
  });
});

describe('docs/cli.md', () => {
  it('documents every command and option', () => {
    const doc = readFileSync(join(REPO, 'docs/cli.md'), 'utf8');
    for (const c of COMMANDS) {
      expect(doc, c.path.join(' ')).toContain(`ibs ${c.path.join(' ')}`);
      for (const o of c.options ?? []) expect(doc, `${c.path.join(' ')} --${o.name}`).toContain(`--${o.name}`);
    }
  });
});

describe('ibs configuration and an unreachable service', () => {
  it('exits 3 and names the URL when nothing listens', async () => {
    const port = await closedPort();
    const r = await runIbs(['distros', '--url', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`cannot reach the service at http://127.0.0.1:${port}/api/image-builder/v1: connection refused`);
  });

  it('reports errors as JSON on stderr with --json', async () => {
    const port = await closedPort();
    const r = await runIbs(['compose', 'list', '--json'], { env: { IBS_URL: `http://127.0.0.1:${port}` } });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { exit_code: 3, message: expect.stringContaining('connection refused') } });
  });

  it('takes the URL from flags, then IBS_URL, then the config file', async () => {
    const [flagPort, envPort, filePort] = await Promise.all([closedPort(), closedPort(), closedPort()]);
    const home = mkdtempSync(join(tmpdir(), 'ibs-cli-config-'));
    mkdirSync(join(home, '.config/ibs'), { recursive: true });
    writeFileSync(join(home, '.config/ibs/config.toml'), `url = "http://127.0.0.1:${filePort}"\ntoken = "t"\n`);
    const named = (r: { stderr: string }) => /cannot reach the service at http:\/\/127\.0\.0\.1:(\d+)/.exec(r.stderr)?.[1];

    const fromFile = await runIbs(['distros'], { env: { HOME: home } });
    expect(named(fromFile)).toBe(String(filePort));
    const fromEnv = await runIbs(['distros'], { env: { HOME: home, IBS_URL: `http://127.0.0.1:${envPort}` } });
    expect(named(fromEnv)).toBe(String(envPort));
    const fromFlag = await runIbs(['distros', '--url', `http://127.0.0.1:${flagPort}`], { env: { HOME: home, IBS_URL: `http://127.0.0.1:${envPort}` } });
    expect(named(fromFlag)).toBe(String(flagPort));

    const jsonConfig = join(home, 'other.json');
    writeFileSync(jsonConfig, JSON.stringify({ url: `http://127.0.0.1:${envPort}` }));
    const fromConfigFlag = await runIbs(['distros', '--config', jsonConfig], { env: { HOME: home } });
    expect(named(fromConfigFlag)).toBe(String(envPort));
  });

  it('rejects a config file with unknown settings (exit 1)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ibs-cli-config-'));
    mkdirSync(join(home, '.config/ibs'), { recursive: true });
    writeFileSync(join(home, '.config/ibs/config.toml'), 'urll = "http://127.0.0.1:1"\n');
    const r = await runIbs(['distros'], { env: { HOME: home } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown setting "urll" (allowed: url, token, org)');
  });
});

describe('ibs completion bash', () => {
  it('prints the script committed in cli/completion/ibs.bash', async () => {
    const r = await runIbs(['completion', 'bash']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(REPO, 'cli/completion/ibs.bash'), 'utf8'));
  });

  /** Completes `line` (the cursor at its end) with the committed script in a real bash. */
  const complete = (line: string): string[] => {
    const words = line.split(' ');
    const script = `
source ${JSON.stringify(join(REPO, 'cli/completion/ibs.bash'))}
ibs() { node ${JSON.stringify(IBS_BIN)} "$@"; }
COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')})
COMP_CWORD=${words.length - 1}
_ibs
printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  };

  it.each([
    ['ibs ', ['blueprints', 'completion', 'compose', 'depsolve', 'distros', 'manifest', 'packages', 'token', 'types', 'version']],
    ['ibs comp', ['completion', 'compose']],
    ['ibs compose st', ['start', 'status']],
    ['ibs --json compose d', ['download']],
    ['ibs compose start --bl', ['--blueprint']],
    ['ibs compose start --arch ', ['aarch64', 'x86_64']],
    ['ibs compose list --status fa', ['failure']],
    ['ibs depsolve --no', ['--no-weak-deps']],
    ['ibs blueprints d', ['delete', 'depsolve']],
    ['ibs blueprints export --format ', ['hosted', 'json', 'toml']],
  ])('completes %j', (line, expected) => {
    expect(complete(line)).toEqual(expected);
  });

  it('completes file names for --blueprint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibs-cli-compl-'));
    writeFileSync(join(dir, 'web.toml'), '');
    expect(complete(`ibs compose start -b ${dir}/we`)).toEqual([`${dir}/web.toml`]);
  });
});
