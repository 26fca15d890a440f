/**
 * Differences from osbuild-composer that weldr-client's integration tests showed, pinned: an `aws` upload's settings
 * shown as composer's targetsToUploadResponses shows them (region, bucket, key as sent, `composer-api-<uuid>` for an
 * empty key, no credentials), osbuild/images' current Fedora type names (`server-qcow2`, `generic-qcow2`...) listed
 * by compose/types and accepted by compose start, and the push commit message naming the version as sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { composerCli, weldrCall } from './weldr-client.ts';
import { startWeldrStack } from './weldr-stack.ts';

const ORG = 'weldr-upstream';
let stack: LocalStack;
let cli: ReturnType<typeof composerCli>;
beforeAll(async () => {
  ({ stack, cli } = await startWeldrStack(ORG, 'fedora-44'));
  await cli.pushToml('name = "fed"\ndistro = "fedora-44"\n');
}, 60_000);
afterAll(() => stack?.stop());

type Json = Record<string, unknown>;
const start = async (composeType: string, upload?: unknown, test = 2) =>
  (
    await weldrCall(
      stack.weldr!.socketPath,
      'POST',
      `/api/v1/compose?test=${test}`,
      JSON.stringify({ blueprint_name: 'fed', compose_type: composeType, branch: 'master', size: 0, ...(upload ? { upload } : {}) }),
      'application/json',
    )
  ).json<Json>();

describe('Weldr parity with current osbuild-composer', () => {
  it('takes a push that changes the distro (composer blueprints carry no image types to keep)', async () => {
    expect((await cli.pushToml('name = "moving"\nversion = "0.1.0"\n')).json()).toEqual({ status: true });
    const moved = await cli.pushToml('name = "moving"\nversion = "0.1.1"\ndistro = "test-distro-1"\n');
    expect(moved.json(), moved.text()).toEqual({ status: true });
    const info = (await cli.get('/blueprints/info/moving')).json<Json>();
    expect((info.blueprints as Json[])[0]).toMatchObject({ name: 'moving', version: '0.1.1', distro: 'test-distro-1' });
    // The hosted API's view: the same blueprint, with an image type test-distro-1 builds.
    const auth = { authorization: `Bearer ${await stack.mintToken(ORG)}` };
    const api = `${stack.url}/api/image-builder/v1`;
    const [listed] = ((await (await fetch(`${api}/blueprints?name=moving`, { headers: auth })).json()) as { data: { id: string }[] }).data;
    const hosted = (await (await fetch(`${api}/blueprints/${listed!.id}`, { headers: auth })).json()) as Json;
    expect(hosted).toMatchObject({ distribution: 'test-distro-1', image_requests: [{ image_type: 'tar' }] });
  });

  it('shows an aws upload with the region, bucket and key sent (a generated key when empty), never the credentials', async () => {
    const settings = { region: 'eu-west-1', accessKeyID: 'AKIAEXAMPLE', secretAccessKey: 'top-secret', sessionToken: 'tok', bucket: 'my-bucket', key: 'my-key' };
    const started = await start('ami', { provider: 'aws', image_name: 'my-ami', settings });
    expect(started.status).toBe(true);
    const id = String(started.build_id);
    const info = (await cli.get(`/compose/info/${id}`)).json<Json>();
    const upload = (info.uploads as Json[])[0];
    // composer's awsUploadSettings: region, bucket, key in that order; the secrets are omitempty and not copied.
    expect(JSON.stringify(upload.settings)).toBe('{"region":"eu-west-1","bucket":"my-bucket","key":"my-key"}');
    expect(upload).toMatchObject({ provider_name: 'aws', image_name: 'my-ami', status: 'FINISHED' });
    const status = (await cli.get(`/compose/status/${id}`)).json<{ uuids: Json[] }>();
    expect((status.uuids[0].uploads as Json[])[0].settings).toEqual({ region: 'eu-west-1', bucket: 'my-bucket', key: 'my-key' });
    expect(JSON.stringify([info, status])).not.toMatch(/AKIAEXAMPLE|top-secret|"tok"/);

    const noKey = await start('ami', { provider: 'aws', image_name: 'other', settings: { region: 'eu-west-1', bucket: 'b2' } });
    const noKeyInfo = (await cli.get(`/compose/info/${String(noKey.build_id)}`)).json<Json>();
    expect((noKeyInfo.uploads as Json[])[0].settings).toEqual({ region: 'eu-west-1', bucket: 'b2', key: expect.stringMatching(/^composer-api-[0-9a-f-]{36}$/) });
  });

  it("lists osbuild/images' current Fedora names in compose/types and builds them as our types", async () => {
    const types = (await cli.get('/compose/types?distro=fedora-44')).json<{ types: { name: string; enabled: boolean }[] }>().types.map((t) => t.name);
    expect(types).toEqual(expect.arrayContaining(['qcow2', 'ami', 'vhd', 'vmdk', 'ova', 'oci', 'container', 'wsl', 'minimal-raw', 'server-qcow2', 'generic-qcow2', 'generic-ami']));
    expect(types).toEqual([...types].sort());
    const centos = (await cli.get('/compose/types?distro=centos-9')).json<{ types: { name: string }[] }>().types.map((t) => t.name);
    expect(centos).not.toContain('server-qcow2');

    const started = await start('server-qcow2');
    expect(started).toEqual({ build_id: expect.any(String), status: true, warnings: null });
    const id = String(started.build_id);
    expect((await stack.deps.store.get(ORG, id))?.spec.imageType).toBe('guest-image');
    // composer's info and entries name the type the compose was started with
    expect((await cli.get(`/compose/info/${id}`)).json<Json>().compose_type).toBe('server-qcow2');
    const finished = (await cli.get('/compose/finished')).json<{ finished: Json[] }>().finished.find((e) => e.id === id);
    expect(finished?.compose_type).toBe('server-qcow2');
    const filtered = (await cli.get('/compose/status/*?type=server-qcow2')).json<{ uuids: Json[] }>().uuids.map((e) => e.id);
    expect(filtered).toContain(id);
    // the short names stay as they were
    expect((await cli.get(`/compose/info/${String((await start('qcow2')).build_id)}`)).json<Json>().compose_type).toBe('qcow2');
    expect((await start('no-such-type')).errors).toEqual([{ id: 'ComposeError', msg: 'Failed to get compose type "no-such-type": invalid image type: no-such-type' }]);
  });

  it('writes the version as pushed in the commit message (before the bump), 0.0.0 when none', async () => {
    await cli.pushToml('name = "msg"\nversion = "1.2.3"\n');
    await cli.pushToml('name = "msg"\nversion = "1.2.3"\n');
    await cli.pushToml('name = "msg"\n');
    await cli.pushToml('name = "msg"\nversion = "2.0.0"\n');
    type Changes = { blueprints: { changes: { commit: string; message: string }[] }[] };
    const changes = (await cli.get('/blueprints/changes/msg')).json<Changes>().blueprints[0].changes;
    expect(changes.map((c) => c.message)).toEqual(['Recipe msg, version 2.0.0 saved.', 'Recipe msg, version 0.0.0 saved.', 'Recipe msg, version 1.2.3 saved.', 'Recipe msg, version 1.2.3 saved.']);
    // composer's Change keeps the blueprint as pushed: `blueprints change` of the bumped commit shows 1.2.3
    const bumped = changes[2].commit;
    expect((await cli.get(`/blueprints/change/msg/${bumped}`)).json<Json>().version).toBe('1.2.3');
    expect((await cli.get('/blueprints/info/msg')).json<{ blueprints: Json[] }>().blueprints[0].version).toBe('2.0.0');
    // no version is 0.0.0 (not a bump of the stored one), as composer's Initialize() makes it before the store compares
    expect((await cli.get(`/blueprints/change/msg/${changes[1].commit}`)).json<Json>().version).toBe('0.0.0');
    await cli.pushToml('name = "nover"\nversion = "3.1.4"\n');
    await cli.pushToml('name = "nover"\n');
    expect((await cli.get('/blueprints/info/nover')).json<{ blueprints: Json[] }>().blueprints[0].version).toBe('0.0.0');
    await cli.pushToml('name = "nover"\n');
    expect((await cli.get('/blueprints/info/nover')).json<{ blueprints: Json[] }>().blueprints[0].version).toBe('0.0.1');
    // the same version again is the next patch level
    await cli.pushToml('name = "msg"\nversion = "2.0.0"\n');
    expect((await cli.get('/blueprints/info/msg')).json<{ blueprints: Json[] }>().blueprints[0].version).toBe('2.0.1');
  });
});
