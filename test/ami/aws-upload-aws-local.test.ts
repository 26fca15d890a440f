import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../layers/src/log/logger.ts';
import { dynamoDbLocalMissing } from '../../local/aws-stand-ins.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { DOUBLE, FAST_ENV } from '../runner/helpers.ts';

const missing = dynamoDbLocalMissing();

/** `npm run start:aws-local`: the AWS adapters, fauxqs, DynamoDB Local and the EBS direct / EC2 stand-ins. */
describe.skipIf(Boolean(missing))(`aws upload in the local stack on the AWS adapters${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let stack: LocalStack;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ibs-ami-aws-local-'));
    stack = await startLocalStack({
      backend: 'aws',
      dataDir,
      port: 0,
      runners: 1,
      log: createLogger({}, { write: (line) => (process.env.IBS_TEST_LOG ? appendFileSync(process.env.IBS_TEST_LOG, `${line}\n`) : undefined) }),
      runnerEnv: { ...FAST_ENV, IBS_OSBUILD: DOUBLE, IBS_AMI_POLL_MS: '50' },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['ebs-direct', 'import-snapshot'])('an aws compose becomes an AMI through %s (import-snapshot stages the disk in the fauxqs bucket)', async (method) => {
    const api = `${stack.url}/api/image-builder/v1`;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${await stack.mintToken('org-aws-local')}` };
    const body = {
      distribution: 'test-distro-1',
      image_requests: [{ architecture: 'x86_64', image_type: 'aws', upload_request: { type: 'aws', options: { share_with_accounts: ['123456789012'], snapshot_method: method } } }],
    };
    const created = await fetch(`${api}/compose`, { method: 'POST', headers, body: JSON.stringify(body) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    let last: Record<string, any> = {};
    await expect
      .poll(async () => (last = (await (await fetch(`${api}/composes/${id}`, { headers })).json()) as Record<string, any>).state, { timeout: 90_000, interval: 200 })
      .toMatch(/success|failure|cancelled/);
    expect(last.state, JSON.stringify(last.image_status)).toBe('success');
    expect(last.image_status.upload_status).toMatchObject({ type: 'aws', snapshot_method: method, options: { region: 'us-east-1', ami: expect.stringMatching(/^ami-/) } });
  }, 120_000);
});
