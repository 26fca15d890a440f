/**
 * The requests weldr-client (composer-cli's library, github.com/osbuild/weldr-client `weldr/`) sends, replayed over
 * the unix socket with node:http: same methods, paths, query strings and Content-Type headers (PostTOML: text/x-toml,
 * PostJSON: application/json, GetJSONAll: limit=0 then limit=total). The real composer-cli, built from weldr-client with
 * scripts/build-composer-cli.sh, runs in composer-cli-live.test.ts when IBS_COMPOSER_CLI names it.
 */
import { request } from 'node:http';

export interface WeldrResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
  text(): string;
}

export function weldrCall(socketPath: string, method: string, path: string, body?: string, contentType?: string): Promise<WeldrResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, method, path, agent: false, headers: { ...(contentType ? { 'content-type': contentType } : {}), ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const data = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: data,
            json: <T>() => JSON.parse(data.toString('utf8')) as T,
            text: () => data.toString('utf8'),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** weldr-client's calls, by the composer-cli command that makes them. */
export function composerCli(socketPath: string) {
  const v1 = (path: string) => `/api/v1${path}`;
  return {
    status: () => weldrCall(socketPath, 'GET', '/api/status'),
    get: (path: string) => weldrCall(socketPath, 'GET', v1(path)),
    delete: (path: string) => weldrCall(socketPath, 'DELETE', v1(path)),
    /** blueprints push FILE.toml */
    pushToml: (toml: string) => weldrCall(socketPath, 'POST', v1('/blueprints/new'), toml, 'text/x-toml'),
    postJson: (path: string, body: unknown) => weldrCall(socketPath, 'POST', v1(path), JSON.stringify(body), 'application/json'),
    /** GetJSONAll: `limit=0` for the total, then `limit=<total>`. */
    async getAll(path: string) {
      const sep = path.includes('?') ? '&' : '?';
      const first = await weldrCall(socketPath, 'GET', v1(`${path}${sep}limit=0`));
      const total = first.json<{ total: number }>().total;
      return weldrCall(socketPath, 'GET', v1(`${path}${sep}limit=${total}`));
    },
    /** compose start BLUEPRINT TYPE [--size MiB] [--test N] */
    startCompose: (blueprint: string, type: string, sizeMiB = 0, test = 0) =>
      weldrCall(
        socketPath,
        'POST',
        v1(test > 0 ? `/compose?test=${test}` : '/compose'),
        JSON.stringify({ blueprint_name: blueprint, compose_type: type, branch: 'master', size: sizeMiB * 1024 * 1024 }),
        'application/json',
      ),
  };
}
