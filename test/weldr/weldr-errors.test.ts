/**
 * Bad input over the Weldr socket answers as osbuild-composer does (internal/weldr/api.go): its error ids and status
 * codes, `{"status":false,"errors":[...]}`, and nothing written for a refused request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { composerCli, weldrCall } from './weldr-client.ts';
import { startWeldrStack } from './weldr-stack.ts';

let stack: LocalStack;
let cli: ReturnType<typeof composerCli>;
beforeAll(async () => {
  ({ stack, cli } = await startWeldrStack('weldr-errors', 'test-distro-1'));
}, 60_000);
afterAll(() => stack?.stop());

const error = (id: string, msg: string | RegExp) => ({ status: false, errors: [{ id, msg: typeof msg === 'string' ? msg : expect.stringMatching(msg) }] });
const UUID = '0e2f3b1a-8d4c-4c8e-9a57-2c1d7b0f4e11';

describe('Weldr errors', () => {
  it('answers unknown paths and versions with composer\'s 404 and a wrong method with a bare 405', async () => {
    const missing = await cli.get('/no/such/route');
    expect({ status: missing.status, body: missing.json() }).toEqual({ status: 404, body: { status: false, errors: [{ code: 404, id: 'HTTPError', msg: 'Not Found' }] } });
    expect((await weldrCall(stack.weldr!.socketPath, 'GET', '/api/v2/blueprints/list')).status).toBe(404);
    expect((await cli.get('/blueprints/info/')).status).toBe(404);
    const wrongMethod = await weldrCall(stack.weldr!.socketPath, 'POST', '/api/v1/blueprints/list', '{}', 'application/json');
    expect({ status: wrongMethod.status, length: wrongMethod.body.length }).toEqual({ status: 405, length: 0 });
  });

  it('refuses bad blueprint names, bodies and versions without storing anything', async () => {
    const bad = await cli.pushToml('name = "bad name!"\n');
    expect({ status: bad.status, body: bad.json() }).toEqual({ status: 400, body: error('InvalidChars', 'Invalid characters in API path') });
    expect((await cli.pushToml('name = "x"\n[[packages]\n')).json()).toEqual(error('BlueprintsError', /^400 Bad Request: The browser \(or proxy\) sent a request/));
    expect((await weldrCall(stack.weldr!.socketPath, 'POST', '/api/v1/blueprints/new', 'name = "x"', 'text/plain')).json()).toEqual(
      error('BlueprintsError', /blueprint must be in json or toml format/),
    );
    expect((await weldrCall(stack.weldr!.socketPath, 'POST', '/api/v1/blueprints/new', '', 'text/x-toml')).json()).toEqual(error('BlueprintsError', 'Missing blueprint'));
    expect((await cli.pushToml('name = "v"\nversion = "one"\n')).json()).toEqual(error('BlueprintsError', "Invalid 'version', must use Semantic Versioning: one is not in dotted-tri format"));
    expect((await cli.pushToml('name = "d"\ndistro = "no-such-distro"\n')).json()).toEqual(error('BlueprintsError', "'no-such-distro' is not a valid distribution (architecture 'x86_64')"));
    expect((await cli.get('/blueprints/list')).json()).toEqual({ total: 0, offset: 0, limit: 0, blueprints: [] });
    expect((await cli.get('/blueprints/list?limit=x')).json()).toEqual(error('BadLimitOrOffset', /^BadRequest: invalid value for 'limit'/));
  });

  it('names unknown blueprints per entry in info, depsolve and changes', async () => {
    expect((await cli.get('/blueprints/info/nope')).json()).toEqual({ blueprints: [], changes: [], errors: [{ id: 'UnknownBlueprint', msg: 'nope: ' }] });
    const toml = await cli.get('/blueprints/info/nope?format=toml');
    expect({ status: toml.status, body: toml.json() }).toEqual({ status: 400, body: error('UnknownBlueprint', 'nope: ') });
    expect((await cli.get('/blueprints/depsolve/nope')).json()).toEqual({ blueprints: [], errors: [{ id: 'UnknownBlueprint', msg: 'nope: blueprint not found' }] });
    expect((await cli.get('/blueprints/changes/nope')).json()).toEqual({ blueprints: [], errors: [{ id: 'UnknownBlueprint', msg: 'nope' }], limit: 20, offset: 0 });
    expect((await cli.delete('/blueprints/delete/nope')).json()).toEqual(error('BlueprintsError', 'Unknown blueprint: nope'));
    expect((await cli.get('/blueprints/info/a,b!c')).json()).toEqual(error('InvalidChars', 'Invalid characters in API path'));
  });

  it('refuses compose requests as composer does', async () => {
    expect((await weldrCall(stack.weldr!.socketPath, 'POST', '/api/v1/compose', '{}', 'text/x-toml')).json()).toEqual(error('MissingPost', 'blueprint must be json'));
    // Go cannot decode a JSON string into the request struct: composer's 404 again.
    expect((await cli.postJson('/compose', 'x')).status).toBe(404);
    const garbage = await weldrCall(stack.weldr!.socketPath, 'POST', '/api/v1/compose', '{', 'application/json');
    expect({ status: garbage.status, body: garbage.json() }).toEqual({ status: 404, body: { status: false, errors: [{ code: 404, id: 'HTTPError', msg: 'Not Found' }] } });
    expect((await cli.startCompose('nope', 'tar')).json()).toEqual(error('UnknownBlueprint', 'Unknown blueprint name: nope'));
    await cli.pushToml('name = "small"\n');
    expect((await cli.startCompose('small', 'qcow3')).json()).toEqual(error('ComposeError', /^Failed to get compose type "qcow3": /));
    expect((await cli.get('/compose/queue')).json()).toEqual({ new: [], run: [] });
  });

  it('answers UnknownUUID and BuildInWrongState for composes', async () => {
    expect((await cli.get('/compose/info/not-a-uuid')).json()).toEqual(error('UnknownUUID', 'not-a-uuid is not a valid build uuid'));
    expect((await cli.get(`/compose/info/${UUID}`)).json()).toEqual(error('UnknownUUID', `${UUID} is not a valid build uuid`));
    expect((await cli.get(`/compose/image/${UUID}`)).json()).toEqual(error('UnknownUUID', `Compose ${UUID} doesn't exist`));
    expect((await cli.get(`/compose/status/${UUID}`)).json()).toEqual({ uuids: [] });
    expect((await cli.get('/compose/status/bad')).json()).toEqual(error('UnknownUUID', 'bad is not a valid build uuid'));
    expect((await cli.delete(`/compose/delete/${UUID},bad`)).json()).toEqual({
      uuids: [],
      errors: [
        { id: 'UnknownUUID', msg: `compose ${UUID} doesn't exist` },
        { id: 'UnknownUUID', msg: 'bad is not a valid uuid' },
      ],
    });

    await cli.pushToml('name = "waiting"\n');
    // No runner in this stack: the compose stays WAITING.
    const { build_id: id } = (await cli.startCompose('waiting', 'tar')).json<{ build_id: string }>();
    const log = await cli.get(`/compose/log/${id}`);
    expect({ status: log.status, body: log.json() }).toEqual({ status: 200, body: error('BuildInWrongState', `Build ${id} has not started yet. No logs to view.`) });
    expect((await cli.get(`/compose/image/${id}`)).json()).toEqual(error('BuildInWrongState', `Build ${id} is in wrong state: WAITING`));
    expect((await cli.get(`/compose/logs/${id}`)).json()).toEqual(error('BuildInWrongState', `Build ${id} not in FINISHED or FAILED state.`));
    expect((await cli.delete(`/compose/delete/${id}`)).json()).toEqual({ uuids: [], errors: [{ id: 'BuildInWrongState', msg: `Compose ${id} is not in FINISHED or FAILED.` }] });
    expect((await cli.delete(`/compose/cancel/${id}`)).json()).toEqual({ uuid: id, status: true });
    expect((await cli.delete(`/compose/cancel/${id}`)).json()).toEqual(error('BuildInWrongState', `Build ${id} is not in WAITING or RUNNING.`));
    expect((await cli.get('/compose/failed')).json<{ failed: { id: string; queue_status: string }[] }>().failed).toEqual([expect.objectContaining({ id, queue_status: 'FAILED' })]);
  });

  it('creates test composes with ?test=1 (failed) and ?test=2 (finished)', async () => {
    await cli.pushToml('name = "fake"\n');
    const failed = (await cli.startCompose('fake', 'tar', 0, 1)).json<{ build_id: string }>().build_id;
    const finished = (await cli.startCompose('fake', 'tar', 0, 2)).json<{ build_id: string }>().build_id;
    const status = (await cli.get(`/compose/status/*?blueprint=fake`)).json<{ uuids: { id: string; queue_status: string }[] }>();
    expect(Object.fromEntries(status.uuids.map((u) => [u.id, u.queue_status]))).toEqual({ [failed]: 'FAILED', [finished]: 'FINISHED' });
    expect((await cli.get(`/compose/status/*?blueprint=fake&status=FINISHED`)).json<{ uuids: { id: string }[] }>().uuids.map((u) => u.id)).toEqual([finished]);
  });

  it('answers 501 for upload management, as composer does', async () => {
    expect((await cli.get('/upload/providers')).status).toBe(501);
    expect((await weldrCall(stack.weldr!.socketPath, 'GET', '/api/v0/upload/providers')).status).toBe(404);
  });
});
