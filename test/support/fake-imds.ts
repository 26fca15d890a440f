import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Async on purpose: the metadata stand-in answers from this same process. */
export function runCommand(command: string, args: string[], env?: Record<string, string>): Promise<CommandRun> {
  return new Promise((resolve) => {
    execFile(command, args, { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * EC2 instance metadata (IMDSv2) on 127.0.0.1: a token from PUT /latest/api/token, then GETs that carry it; paths
 * under /latest/ not in `paths` are 404.
 */
export async function startMetadata(paths: Record<string, string>) {
  const token = 'boot-token';
  const reads: { path: string; token: string | undefined }[] = [];
  const state = { tokenRequests: 0 };
  const server: Server = createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token' && req.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
      state.tokenRequests++;
      res.end(token);
      return;
    }
    const path = (req.url ?? '').replace(/^\/latest\//, '');
    const sent = req.headers['x-aws-ec2-metadata-token'] as string | undefined;
    reads.push({ path, token: sent });
    if (sent !== token) {
      res.statusCode = 401;
      res.end();
      return;
    }
    const body = paths[path];
    res.statusCode = body === undefined ? 404 : 200;
    res.end(body ?? 'Not Found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    reads,
    token,
    /** Answered paths; change them while it runs (a spot notice appearing). */
    paths,
    get tokenRequests() {
      return state.tokenRequests;
    },
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
}

/** A systemd EnvironmentFile's assignments as the unit sees them: the last assignment of a key wins. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}
