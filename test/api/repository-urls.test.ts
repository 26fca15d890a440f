import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { checkComposeRepositories, checkDepsolveRepositories } from '../../layers/src/service/repository-policy.ts';
import { resolveImageRequest, type AcceptedComposeRequest } from '../../layers/src/service/compose-service.ts';
import { tokenHeaders } from '../support/auth.ts';

const fileRepo = { rhsm: false, baseurl: 'file:///srv/mirror/extra/' };
const compose = (payload: unknown[]) => ({
  distribution: 'fedora-44',
  image_requests: [{ architecture: 'x86_64', image_type: 'guest-image' }],
  customizations: { payload_repositories: payload },
});

describe('file:// repositories: where the deployment allows them', () => {
  it('refused without fileRepositories, naming the field; custom (written-only) repositories are not fetched and pass', () => {
    const off = {};
    expect(() => checkComposeRepositories(off, compose([{ rhsm: false, baseurl: 'https://a/' }, fileRepo]))).toThrow(
      expect.objectContaining({ field: 'customizations.payload_repositories[1].baseurl', message: expect.stringMatching(/only allowed in local mode/) }),
    );
    expect(() => checkComposeRepositories(off, compose([{ rhsm: false, mirrorlist: 'FILE:///m' }]))).toThrow(/payload_repositories\[0\]\.mirrorlist/);
    expect(() => checkComposeRepositories(off, { ...compose([]), customizations: { custom_repositories: [{ id: 'x', baseurl: ['file:///mnt/repo'] }] } })).not.toThrow();
    expect(() => checkDepsolveRepositories(off, [{ id: 'a', baseurl: ['https://a/', 'file:///b'] }])).toThrow(expect.objectContaining({ field: 'repositories[0].baseurl[1]' }));
    expect(() => checkComposeRepositories({ fileRepositories: true }, compose([fileRepo]))).not.toThrow();
    expect(() => checkComposeRepositories({ fileRepositories: true }, compose([{ rhsm: false, baseurl: 'ftp://mirror/' }]))).toThrow(/payload_repositories\[0\]\.baseurl: "ftp:\/\/mirror\/" cannot be fetched/);
    expect(() => checkDepsolveRepositories({}, [{ id: 'a', metalink: 'mirrors.example.org/metalink' }])).toThrow(expect.objectContaining({ field: 'repositories[0].metalink' }));
    expect(() => checkDepsolveRepositories({ fileRepositories: true }, [{ id: 'a', baseurl: ['file:///b'] }])).not.toThrow();
  });
});

describe('payload and custom repositories of one request', () => {
  const withRepos = (customizations: Record<string, unknown>) => resolveImageRequest({ ...compose([]), customizations } as AcceptedComposeRequest);
  const repo = { id: '3fa85f64-5717-4562-b3fc-2c963f66afa6', baseurl: 'https://content.example.org/extras/' };
  it('the same repository as payload and custom (as the hosted frontend sends it) is accepted', () => {
    expect(() => withRepos({ payload_repositories: [{ ...repo, rhsm: false }], custom_repositories: [{ ...repo, baseurl: [repo.baseurl] }] })).not.toThrow();
  });
  it('rhsm: true is refused (no subscription here), an id alone (content sources) says why it is not enough', () => {
    expect(() => withRepos({ payload_repositories: [{ ...repo, rhsm: true }] })).toThrow(/payload_repositories\[0\]\.rhsm: Red Hat subscription/);
    expect(() => withRepos({ payload_repositories: [{ id: repo.id, rhsm: false }] })).toThrow(/baseurl, mirrorlist or metalink is required \(a content-sources repository id alone/);
  });
  it('an id twice in one list is refused', () => {
    expect(() => withRepos({ payload_repositories: [{ ...repo, rhsm: false }, { ...repo, rhsm: false }] })).toThrow(/defined twice/);
    expect(() => withRepos({ custom_repositories: [{ ...repo, baseurl: [repo.baseurl] }, { ...repo, baseurl: [repo.baseurl] }] })).toThrow(/defined twice/);
  });
});

describe('the API with IBS_FILE_REPOSITORIES=0 (as on AWS)', () => {
  let stack: LocalStack;
  let api: string;
  let as: ReturnType<typeof tokenHeaders>;
  beforeAll(async () => {
    stack = await startLocalStack({ dataDir: mkdtempSync(join(tmpdir(), 'ibs-repo-urls-')), port: 0, runners: 0, fileRepositories: false, log: createLogger({}, { write: () => {} }) });
    api = `${stack.url}/api/image-builder/v1`;
    as = tokenHeaders(stack);
  });
  afterAll(() => stack.stop());

  const post = async (path: string, body: unknown) =>
    fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(await as()) }, body: JSON.stringify(body) });

  it('POST /compose and POST /manifest answer 400 naming the payload repository; nothing is stored', async () => {
    for (const path of ['/compose', '/manifest']) {
      const res = await post(path, compose([fileRepo]));
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as { errors: { detail: string }[] };
      expect(body.errors[0].detail).toMatch(/customizations\.payload_repositories\[0\]\.baseurl.*file:\/\/ repositories .*only allowed in local mode/);
    }
    expect((await stack.deps.store.list('local', { limit: 10, offset: 0 })).total).toBe(0);
  });

  it('POST /depsolve answers 400 for a file:// repository', async () => {
    const res = await post('/depsolve', { distribution: 'fedora-44', architecture: 'x86_64', packages: ['bash'], repositories: [{ id: 'm', baseurl: ['file:///srv/m/'] }] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { detail: string }[] }).errors[0].detail).toMatch(/repositories\[0\]\.baseurl\[0\]/);
  });
});
