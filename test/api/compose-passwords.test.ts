import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { sha512Crypt } from '../../layers/src/manifest/crypt.ts';

// Issue 17 item 4: user passwords are hashed on intake, never echoed (nor their hashes), never logged.
const PLAIN = 'plain-text-secret-4711';
const CRYPTED = '$6$abcdefgh$J9ZcZ3tTnOSGpYBWkWoyORBuy0/xr0a9xWNWZj7Z4z6.h1yWLBlG2Ku63YKwNGS35Kzl4AUfDjVzNgzeobcM1.';

let stack: LocalStack;
let api: string;
let dataDir: string;
const logLines: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ibs-pw-'));
  stack = await startLocalStack({ dataDir, port: 0, runners: 0, log: createLogger({}, { write: (line: string) => void logLines.push(line) }) });
  api = `${stack.url}/api/image-builder/v1`;
  headers.authorization = `Bearer ${await stack.mintToken('org-pw')}`;
});
afterAll(() => stack.stop());

const headers: Record<string, string> = { 'content-type': 'application/json' };
const request = {
  distribution: 'fedora-43',
  image_requests: [{ architecture: 'x86_64', image_type: 'guest-image' }],
  customizations: {
    users: [
      { name: 'alice', password: PLAIN, groups: ['wheel'] },
      { name: 'bob', password: CRYPTED },
      { name: 'carol', ssh_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN1YdxBpNlzxDqfJyw/QKow1F+wvG9hXGoqiysfJOn5Y c@example.com' },
    ],
  },
};

/** Every byte written under the data directory (database, blobs), as latin1 text to search. */
function dataDirText(dir: string): string {
  return readdirSync(dir).map((name) => {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) return dataDirText(path);
    // Sockets (the Weldr API's) hold no bytes to read.
    return stat.isFile() ? readFileSync(path).toString('latin1') : '';
  }).join('\n');
}

describe('user passwords', () => {
  it('are stored as SHA-512 crypt hashes, crypted values kept, and no response or log line shows a password or hash', async () => {
    const created = await fetch(`${api}/compose`, { method: 'POST', headers, body: JSON.stringify(request) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    type User = { name: string; password?: string; hasPassword?: boolean };
    const stored = (await stack.deps.store.get('org-pw', id))!;
    const users = (stored.request.customizations as { users: User[] }).users;
    expect(users[0].password).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    const salt = users[0].password!.split('$')[2];
    expect(users[0].password).toBe(sha512Crypt(PLAIN, salt));
    expect(users[1].password).toBe(CRYPTED);
    expect(users[2].password).toBeUndefined();

    const bodies = [
      await (await fetch(`${api}/composes/${id}`, { headers })).text(),
      await (await fetch(`${api}/composes`, { headers })).text(),
    ];
    for (const body of bodies) {
      expect(body).not.toContain(PLAIN);
      expect(body).not.toContain('$6$');
      expect(body).not.toContain('"password"');
    }
    const shown = (JSON.parse(bodies[0]) as { request: { customizations: { users: User[] } } }).request.customizations.users;
    expect(shown).toEqual([
      { name: 'alice', groups: ['wheel'], hasPassword: true },
      { name: 'bob', hasPassword: true },
      { name: 'carol', ssh_key: request.customizations.users[2].ssh_key },
    ]);
    const listed = JSON.parse(bodies[1]) as { data: { request: { customizations: { users: User[] } } }[] };
    expect(listed.data[0].request.customizations.users).toEqual(shown);

    // The manifest worker has had its turn (it fails here: no mirrors); nothing it wrote holds the plain text.
    await expect.poll(async () => (await stack.deps.store.get('org-pw', id))!.state, { timeout: 60_000 }).not.toBe('pending');
    expect(logLines.join('\n')).not.toContain(PLAIN);
    expect(dataDirText(dataDir)).not.toContain(PLAIN);
    // Waits for background manifest generation: more than the default 30 s on a loaded machine.
  }, 90_000);
});
