/**
 * `compose start-ostree` (weldr-client StartOSTreeComposeTest) over the socket: composer decodes `ostree` into images'
 * ostree.ImageOptions (a wrong JSON type: its 404) and refuses it for an image type that is not ostree-based
 * (ManifestCreationFailed), before storing anything; `ostree: null` is no options.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { composerCli, weldrCall } from './weldr-client.ts';
import { startWeldrStack } from './weldr-stack.ts';

let stack: LocalStack;
let cli: ReturnType<typeof composerCli>;
beforeAll(async () => {
  ({ stack, cli } = await startWeldrStack('weldr-ostree', 'test-distro-1'));
  expect((await cli.pushToml('name = "edge"\n')).json()).toEqual({ status: true });
}, 60_000);
afterAll(() => stack?.stop());

/** weldr-client's StartOSTreeComposeTest body, field for field. */
const startOSTree = (type: string, ostree: unknown, test = 0) =>
  weldrCall(
    stack.weldr!.socketPath,
    'POST',
    `/api/v1/compose${test ? `?test=${test}` : ''}`,
    JSON.stringify({ blueprint_name: 'edge', compose_type: type, branch: 'master', size: 0, ostree }),
    'application/json',
  );

const composeCount = async () => (await cli.get('/compose/status/*')).json<{ uuids: unknown[] }>().uuids.length;

describe('Weldr compose start-ostree', () => {
  it('refuses ostree options for an image type that is not ostree-based, as composer, storing nothing', async () => {
    for (const [ostree, test] of [
      [{ ref: 'rhel/9/x86_64/edge', parent: '', url: '' }, 0],
      [{ ref: '', parent: '', url: '' }, 0],
      // composer (images) checks ostree support before ref, parent and url: invalid values get the same answer
      [{ ref: 'not a ref!', parent: 'also bad', url: 'http://127.0.0.1:9/repo' }, 2],
      [{}, 1],
    ] as const) {
      const res = await startOSTree('tar', ostree, test);
      expect({ status: res.status, body: res.json() }).toEqual({
        status: 400,
        body: { status: false, errors: [{ id: 'ManifestCreationFailed', msg: 'failed to initialize osbuild manifest: OSTree is not supported for "tar"' }] },
      });
    }
    expect(await composeCount()).toBe(0);
  });

  it('answers a wrongly typed ostree with composer\'s decode error (404), and an unknown type before the ostree check', async () => {
    for (const ostree of ['rhel/9', [1], { ref: 9 }, { parent: true }, { url: {} }, { rhsm: 'yes' }]) {
      const res = await startOSTree('tar', ostree);
      expect({ status: res.status, body: res.json() }).toEqual({ status: 404, body: { status: false, errors: [{ code: 404, id: 'HTTPError', msg: 'Not Found' }] } });
    }
    expect((await startOSTree('edge-commit', { ref: 'rhel/9/x86_64/edge' })).json()).toEqual({
      status: false,
      errors: [{ id: 'ComposeError', msg: 'Failed to get compose type "edge-commit": invalid image type: edge-commit' }],
    });
    expect(await composeCount()).toBe(0);
  });

  it('takes ostree: null as no options (Go decodes it to a nil pointer)', async () => {
    const res = await startOSTree('tar', null, 2);
    expect(res.json()).toMatchObject({ status: true, warnings: null });
    expect(await composeCount()).toBe(1);
  });
});
