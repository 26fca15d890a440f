/**
 * `upload` of a Weldr compose start (composer's internal/weldr/upload.go): `aws` becomes our AMI upload target and
 * shows in v1 `compose/info` and queue entries as composer's uploadResponse (absent in v0 and for composes without
 * one); other providers are refused as composer refuses what it cannot decode, and a refusal stores nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { composerCli, weldrCall } from './weldr-client.ts';
import { startWeldrStack } from './weldr-stack.ts';

const ORG = 'weldr-uploads';
let stack: LocalStack;
let cli: ReturnType<typeof composerCli>;
beforeAll(async () => {
  ({ stack, cli } = await startWeldrStack(ORG, 'test-distro-1'));
  await cli.pushToml('name = "cloud"\n');
}, 60_000);
afterAll(() => stack?.stop());

/** compose start BLUEPRINT TYPE IMAGE-NAME PROVIDER.TOML, as weldr-client sends it (version 0 or 1). */
const start = (composeType: string, upload: unknown, version = 1, test = 0) =>
  weldrCall(
    stack.weldr!.socketPath,
    'POST',
    `/api/v${version}/compose${test ? `?test=${test}` : ''}`,
    JSON.stringify({ blueprint_name: 'cloud', compose_type: composeType, branch: 'master', size: 0, upload }),
    'application/json',
  );
const count = async () => (await stack.deps.store.list(ORG, { limit: 100, offset: 0 })).total;
const AWS = { provider: 'aws', image_name: 'weldr-ami', settings: { region: 'us-east-2', accessKeyID: 'AKIA', secretAccessKey: 'secret', bucket: 'b', key: 'k' } };

describe('Weldr compose uploads', () => {
  it('starts an aws upload as our AMI target and shows it in v1 info and queue entries, without credentials', async () => {
    const started = (await start('ami', AWS)).json<{ build_id: string; status: boolean }>();
    expect(started.status).toBe(true);
    const compose = await stack.deps.store.get(ORG, started.build_id);
    expect({ uploadType: compose?.spec.uploadType, upload: compose?.spec.upload }).toMatchObject({
      uploadType: 'aws',
      upload: { type: 'aws', amiName: 'weldr-ami', copyToRegions: ['us-east-2'] },
    });
    const expected = [
      { uuid: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'WAITING', provider_name: 'aws', image_name: 'weldr-ami', creation_time: expect.any(Number), settings: { region: 'us-east-2', bucket: 'b', key: 'k' } },
    ];
    const info = (await cli.get(`/compose/info/${started.build_id}`)).json<Record<string, unknown>>();
    expect(info.uploads).toEqual(expected);
    expect(JSON.stringify(info)).not.toMatch(/secret|AKIA/);
    expect((await cli.get(`/compose/info/${started.build_id}`)).json<{ uploads: { uuid: string }[] }>().uploads[0].uuid).toBe((info.uploads as { uuid: string }[])[0].uuid);
    const v0 = (await weldrCall(stack.weldr!.socketPath, 'GET', `/api/v0/compose/info/${started.build_id}`)).json<Record<string, unknown>>();
    expect('uploads' in v0).toBe(false);
    expect((await cli.get('/compose/queue')).json<{ new: Record<string, unknown>[] }>().new.find((e) => e.id === started.build_id)?.uploads).toEqual(expected);
    const v0Queue = (await weldrCall(stack.weldr!.socketPath, 'GET', '/api/v0/compose/queue')).json<{ new: Record<string, unknown>[] }>();
    expect(v0Queue.new.every((e) => !('uploads' in e))).toBe(true);
  });

  it('omits uploads (not null, not []) for a compose without one; ?test=2 reports the upload FINISHED', async () => {
    const plain = (await start('tar', undefined)).json<{ build_id: string }>().build_id;
    expect('uploads' in (await cli.get(`/compose/info/${plain}`)).json<Record<string, unknown>>()).toBe(false);
    expect((await cli.get(`/compose/status/${plain}`)).json<{ uuids: Record<string, unknown>[] }>().uuids[0]).not.toHaveProperty('uploads');
    const fake = (await start('ami', AWS, 1, 2)).json<{ build_id: string }>().build_id;
    expect((await cli.get(`/compose/info/${fake}`)).json<{ uploads: { status: string }[] }>().uploads).toEqual([expect.objectContaining({ status: 'FINISHED', provider_name: 'aws' })]);
    expect((await cli.get('/compose/finished')).json<{ finished: Record<string, unknown>[] }>().finished.find((e) => e.id === fake)?.uploads).toHaveLength(1);
  });

  it("refuses other providers and bad aws settings with composer's errors, storing nothing", async () => {
    const before = await count();
    const notFound = { status: 404, body: { status: false, errors: [{ code: 404, id: 'HTTPError', msg: 'Not Found' }] } };
    for (const upload of [{ provider: 'dropbox', settings: {} }, { provider: 'aws', settings: { region: 7 } }, { provider: 'aws' }, { provider: 'aws', image_name: 3, settings: {} }, 'aws']) {
      const reply = await start('ami', upload);
      expect({ status: reply.status, body: reply.json() }, JSON.stringify(upload)).toEqual(notFound);
    }
    const azure = await start('ami', { provider: 'azure', image_name: 'x', settings: { container: 'c' } });
    expect({ status: azure.status, body: azure.json() }).toEqual({
      status: 400,
      body: { status: false, errors: [{ id: 'ComposeError', msg: 'Upload provider "azure" is not supported by this service; supported: aws (an AMI)' }] },
    });
    for (const [type, upload] of [
      ['ami', { ...AWS, settings: { region: 'mars-1' } }],
      ['ami', { ...AWS, image_name: 'x' }],
      ['tar', AWS],
    ] as const) {
      for (const test of [0, 2]) {
        const reply = await start(type, upload, 1, test);
        expect({ status: reply.status, id: reply.json<{ errors: { id: string }[] }>().errors[0].id }, `${type} ${JSON.stringify(upload)}`).toEqual({ status: 400, id: 'ComposeError' });
      }
    }
    // An unknown provider is undecodable in v0 too; a known one is decoded and ignored there, as composer does.
    expect((await start('ami', { provider: 'dropbox', settings: {} }, 0)).status).toBe(404);
    expect(await count()).toBe(before);
    const v0 = (await start('tar', { provider: 'azure', settings: {} }, 0)).json<{ build_id: string }>();
    expect((await stack.deps.store.get(ORG, v0.build_id))?.spec.uploadType).toBe('aws.s3');
  });
});
