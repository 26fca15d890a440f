// The AMI's boot-time configuration and AMI-publishing scripts, run for real with bash against a metadata stand-in
// on 127.0.0.1 and an `aws` command double that records its arguments.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand, startMetadata, type CommandRun } from '../support/fake-imds.ts';
import { noteSkip, skipTitle } from '../support/skip-notice.ts';
import { bundleRunner } from '../../runner-ami/build.ts';
import { REPO } from './helpers.ts';

const FETCH_CONFIG = join(REPO, 'runner-ami/packer/files/fetch-config.sh');
const PUBLISH_AMI = join(REPO, 'runner-ami/packer/scripts/publish-ami.sh');
const INSTALL_AGENT = join(REPO, 'runner-ami/packer/scripts/install-agent.sh');
const UNIT_FILES = join(REPO, 'runner-ami/packer/files');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = ['bash', 'curl', 'jq'].filter((tool) => !has(tool));

const runScript = (script: string, env: Record<string, string>) => runCommand('bash', [script], env);

describe.skipIf(noteSkip(missing.length > 0, 'runner AMI script tests', `${missing.join(', ')} not installed`))(skipTitle(missing.length > 0, 'runner AMI scripts', `${missing.join(', ')} not installed`), () => {
  let dir: string;
  let servers: Server[];
  let awsLog: string;
  let env: Record<string, string>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ibs-ami-scripts-'));
    servers = [];
    awsLog = join(dir, 'aws-calls');
    // The `aws` double: one line of arguments per call; get-parameters-by-path prints $FAKE_SSM_TEXT (text output).
    const bin = join(dir, 'bin');
    spawnSync('mkdir', [bin]);
    writeFileSync(
      join(bin, 'aws'),
      `#!/bin/bash\necho "$*" >>"${awsLog}"\nif [ "$2" = get-parameters-by-path ]; then cat "$FAKE_SSM_TEXT"; fi\n`,
    );
    chmodSync(join(bin, 'aws'), 0o755);
    env = { PATH: `${bin}:${process.env.PATH}`, HOME: dir };
  });

  afterEach(() => {
    for (const server of servers) server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const awsCalls = () => {
    try {
      return readFileSync(awsLog, 'utf8').trim().split('\n');
    } catch {
      return [];
    }
  };

  describe('fetch-config.sh (boot-time configuration)', () => {
    const baseMetadata = {
      'meta-data/placement/region': 'eu-west-1',
      'meta-data/instance-id': 'i-0123456789abcdef0',
    };

    it('writes defaults, then the IBS_* lines of the user data, then the SSM parameters, readable by root only', async () => {
      const imds = await startMetadata({
        ...baseMetadata,
        'user-data': [
          '#!/bin/bash',
          'IBS_SSM_PREFIX=/ibs/dev/runner',
          'IBS_RUNNER_CONCURRENCY=2',
          'FOO=not-ours',
          'ibs_lower=ignored',
          'AWS_REGION=eu-west-1',
          'echo IBS_NOT_AN_ASSIGNMENT',
        ].join('\n'),
      });
      servers.push(imds.server);
      const ssm = join(dir, 'ssm.txt');
      writeFileSync(
        ssm,
        [
          '/ibs/dev/runner/IBS_BUILD_QUEUE_URL\thttp://sqs.eu-west-1.amazonaws.com/1/ibs-build-x86_64',
          '/ibs/dev/runner/store/IBS_TABLE\tibs-dev-composes',
          '/ibs/dev/runner/ibs-bucket\tnot-an-IBS-key',
          '/ibs/dev/runner/IBS_RUNNER_CONCURRENCY\t1',
        ].join('\n') + '\n',
      );
      const out = join(dir, 'runner.env');
      const run = await runScript(FETCH_CONFIG, { ...env, IBS_IMDS_ENDPOINT: imds.url, IBS_RUNNER_ENV_FILE: out, FAKE_SSM_TEXT: ssm });

      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`runner configuration written to ${out} (11 settings)`);
      // systemd's EnvironmentFile: a later line wins, so SSM overrides user data, which overrides the defaults.
      expect(readFileSync(out, 'utf8').split('\n').filter(Boolean)).toEqual([
        'IBS_BACKEND=aws',
        'AWS_REGION=eu-west-1',
        'IBS_RUNNER_ID=i-0123456789abcdef0',
        'IBS_DATA_DIR=/var/lib/ibs-runner',
        'IBS_RUNNER_WORKDIR=/var/lib/ibs-runner',
        'IBS_SSM_PREFIX=/ibs/dev/runner',
        'IBS_RUNNER_CONCURRENCY=2',
        'AWS_REGION=eu-west-1',
        'IBS_BUILD_QUEUE_URL=http://sqs.eu-west-1.amazonaws.com/1/ibs-build-x86_64',
        'IBS_TABLE=ibs-dev-composes',
        'IBS_RUNNER_CONCURRENCY=1',
      ]);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir).filter((f) => f.startsWith('runner.env.'))).toEqual([]);
      expect(awsCalls()).toEqual([
        'ssm get-parameters-by-path --region eu-west-1 --path /ibs/dev/runner --recursive --with-decryption --query Parameters[].[Name,Value] --output text',
      ]);
      // Every metadata read carried the IMDSv2 session token.
      expect(imds.reads.map((r) => r.path)).toEqual(['meta-data/placement/region', 'meta-data/instance-id', 'user-data']);
      expect(imds.reads.every((r) => r.token === 'boot-token')).toBe(true);
    });

    it('without user data or an SSM prefix writes the defaults and calls no AWS API', async () => {
      const imds = await startMetadata(baseMetadata);
      servers.push(imds.server);
      const out = join(dir, 'runner.env');
      const run = await runScript(FETCH_CONFIG, { ...env, IBS_IMDS_ENDPOINT: imds.url, IBS_RUNNER_ENV_FILE: out });
      expect(run.code).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(
        'IBS_BACKEND=aws\nAWS_REGION=eu-west-1\nIBS_RUNNER_ID=i-0123456789abcdef0\nIBS_DATA_DIR=/var/lib/ibs-runner\nIBS_RUNNER_WORKDIR=/var/lib/ibs-runner\n',
      );
      expect(awsCalls()).toEqual([]);
    });

    it('fails without touching the previous configuration when the metadata service does not answer', async () => {
      const out = join(dir, 'runner.env');
      writeFileSync(out, 'IBS_BACKEND=aws\nIBS_RUNNER_ID=previous\n', { mode: 0o600 });
      // A port that was just open and is now closed: connection refused, immediately.
      const closed = await startMetadata({});
      await new Promise<void>((r) => closed.server.close(() => r()));
      const run = await runScript(FETCH_CONFIG, { ...env, IBS_IMDS_ENDPOINT: closed.url, IBS_RUNNER_ENV_FILE: out });
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/curl: \(7\)/);
      expect(readFileSync(out, 'utf8')).toBe('IBS_BACKEND=aws\nIBS_RUNNER_ID=previous\n');
      expect(readdirSync(dir).filter((f) => f.startsWith('runner.env.'))).toEqual([]);
    });
  });

  describe('publish-ami.sh (packer post-processor)', () => {
    const manifest = (builds: { name: string; artifact_id: string }[]) => {
      const path = join(dir, 'packer-manifest.json');
      // The shape packer's manifest post-processor writes; a re-run appends builds with a new run uuid.
      writeFileSync(
        path,
        JSON.stringify({
          builds: builds.map((b, i) => ({
            name: b.name,
            builder_type: 'amazon-ebs',
            build_time: 1795000000 + i,
            files: null,
            artifact_id: b.artifact_id,
            packer_run_uuid: `run-${i}`,
            custom_data: null,
          })),
          last_run_uuid: `run-${builds.length - 1}`,
        }),
      );
      return path;
    };
    const publishEnv = (path: string, name: string, publish = 'true') => ({
      ...env,
      MANIFEST: path,
      BUILD_NAME: name,
      PARAMETER: `/ibs/dev/runner-ami/${name}`,
      REGION: 'eu-west-1',
      PUBLISH: publish,
    });

    it('publishes the newest AMI of the named build to SSM as an image parameter', async () => {
      const path = manifest([
        { name: 'x86_64', artifact_id: 'eu-west-1:ami-00000000000000old' },
        { name: 'aarch64', artifact_id: 'eu-west-1:ami-0aaaaaaaaaaaaaaaa' },
        { name: 'x86_64', artifact_id: 'eu-west-1:ami-0bbbbbbbbbbbbbbbb' },
      ]);
      const run = await runScript(PUBLISH_AMI, publishEnv(path, 'x86_64'));
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe('published ami-0bbbbbbbbbbbbbbbb as /ibs/dev/runner-ami/x86_64');
      expect(awsCalls()).toEqual([
        'ssm put-parameter --region eu-west-1 --name /ibs/dev/runner-ami/x86_64 --type String --data-type aws:ec2:image --value ami-0bbbbbbbbbbbbbbbb --overwrite',
      ]);
    });

    it('with publish_ssm=false reports the AMI and writes nothing', async () => {
      const path = manifest([{ name: 'aarch64', artifact_id: 'eu-west-1:ami-0aaaaaaaaaaaaaaaa' }]);
      const run = await runScript(PUBLISH_AMI, publishEnv(path, 'aarch64', 'false'));
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('built ami-0aaaaaaaaaaaaaaaa for aarch64; not publishing');
      expect(awsCalls()).toEqual([]);
    });

    it('fails clearly when the manifest has no AMI for the build', async () => {
      const path = manifest([{ name: 'x86_64', artifact_id: 'eu-west-1:ami-0bbbbbbbbbbbbbbbb' }]);
      const run = await runScript(PUBLISH_AMI, publishEnv(path, 'aarch64'));
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`no AMI id for build aarch64 in ${path} (got 'null')`);
      expect(awsCalls()).toEqual([]);
    });
  });
});

// install-agent.sh writes to /opt, /usr/libexec, /etc and /var/lib: it runs in a private mount namespace where those
// are empty tmpfs mounts (and /etc a copy), so the host is untouched; systemctl is a double that records its calls.
const canSandbox = process.getuid?.() === 0 && has('unshare') && has('bash');

/** Stages the upload under /var/tmp (/tmp is replaced inside the namespace), runs the script, then `after` lines. */
function installAgentInSandbox(stage: string, bundle: string, after: string[]): Promise<CommandRun> {
  cpSync(UNIT_FILES, join(stage, 'files'), { recursive: true });
  mkdirSync(join(stage, 'bin'));
  writeFileSync(join(stage, 'bin/systemctl'), `#!/bin/bash\necho "systemctl $*" >>"${stage}/systemctl-calls"\n`);
  chmodSync(join(stage, 'bin/systemctl'), 0o755);
  const sandbox = [
    'set -euo pipefail',
    'mount --make-rprivate /',
    `mkdir "${stage}/etc" && cp -a /etc/. "${stage}/etc/" && mkdir -p "${stage}/etc/systemd/system"`,
    `mount --bind "${stage}/etc" /etc`,
    `cp "${INSTALL_AGENT}" "${stage}/install-agent.sh"`,
    'for d in /opt /usr/libexec /var/lib /tmp; do mount -t tmpfs none "$d"; done',
    // What packer's file provisioners upload before the script runs.
    `cp -r "${stage}/files" /tmp/ibs-files && cp "${bundle}" /tmp/runner-agent.mjs`,
    `PATH="${stage}/bin:$PATH" bash "${stage}/install-agent.sh"`,
    ...after,
  ].join('\n');
  return runCommand('unshare', ['-m', 'bash', '-c', sandbox]);
}

describe.skipIf(noteSkip(!canSandbox, 'install-agent.sh in a mount namespace', 'needs root and unshare (util-linux)'))(skipTitle(!canSandbox, 'install-agent.sh (AMI provisioning)', 'needs root and unshare (util-linux)'), () => {
  let stage: string;
  beforeEach(() => {
    stage = mkdtempSync('/var/tmp/ibs-install-agent-');
  });
  afterEach(() => rmSync(stage, { recursive: true, force: true }));

  it('installs the agent, the units and the config script with their modes, enables the units, leaves no upload behind', async () => {
    const { outfile } = await bundleRunner(join(stage, 'runner-agent.mjs'));
    const run = await installAgentInSandbox(stage, outfile, [
      'echo ---',
      'stat -c "%a %n" /opt/ibs-runner /opt/ibs-runner/runner-agent.mjs /usr/libexec/ibs-runner/fetch-config.sh ' +
        '/etc/systemd/system/ibs-runner.service /etc/systemd/system/ibs-runner-config.service /etc/ibs /var/lib/ibs-runner',
      `cmp /opt/ibs-runner/runner-agent.mjs "${outfile}"`,
      'echo "tmp: [$(ls -A /tmp)]"',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('---\n')[1]?.trim().split('\n')).toEqual([
      '755 /opt/ibs-runner',
      '644 /opt/ibs-runner/runner-agent.mjs',
      '755 /usr/libexec/ibs-runner/fetch-config.sh',
      '644 /etc/systemd/system/ibs-runner.service',
      '644 /etc/systemd/system/ibs-runner-config.service',
      '700 /etc/ibs',
      '700 /var/lib/ibs-runner',
      'tmp: []',
    ]);
    expect(readFileSync(join(stage, 'systemctl-calls'), 'utf8')).toBe(
      'systemctl daemon-reload\nsystemctl enable ibs-runner-config.service ibs-runner.service\n',
    );
    // The host's /opt was never written.
    expect(existsSync('/opt/ibs-runner')).toBe(false);
  });

  it('stops the AMI build when the bundled agent does not parse', async () => {
    writeFileSync(join(stage, 'runner-agent.mjs'), 'export const broken = ;\n');
    const run = await installAgentInSandbox(stage, join(stage, 'runner-agent.mjs'), []);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('SyntaxError');
    expect(existsSync(join(stage, 'systemctl-calls'))).toBe(false);
  });
});
