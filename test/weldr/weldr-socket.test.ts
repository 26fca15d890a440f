/**
 * The Weldr listener's transport (local/weldr-socket.ts): settings from the environment, mode 0660, the configured
 * group (by gid or name), a stale socket from an earlier run replaced, anything else at the path refused.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { readWeldrConfig, startWeldrSocket } from '../../local/weldr-socket.ts';
import { silentLogger } from '../runner/helpers.ts';
import { composerCli } from './weldr-client.ts';

/** /api/status needs no store. */
const deps = {} as ServiceDeps;
const log = silentLogger();

describe('Weldr socket', () => {
  it('reads IBS_WELDR_* settings; IBS_WELDR=0 turns the socket off', () => {
    expect(readWeldrConfig({})).toEqual({ orgId: 'local' });
    expect(readWeldrConfig({ IBS_WELDR_SOCKET: '/run/weldr/api.socket', IBS_WELDR_ORG: 'acme', IBS_WELDR_GROUP: 'weldr', IBS_DEFAULT_DISTRO: 'centos-9' })).toEqual({
      socketPath: '/run/weldr/api.socket',
      orgId: 'acme',
      group: 'weldr',
      defaultDistro: 'centos-9',
    });
    expect(readWeldrConfig({ IBS_WELDR: '0' })).toBeUndefined();
    expect(() => readWeldrConfig({ IBS_WELDR: 'yes' })).toThrow(/IBS_WELDR/);
  });

  it("IBS_WELDR_SYSTEM=1 is composer's /run/weldr/api.socket, group weldr when it exists; IBS_WELDR_SOCKET/GROUP override", () => {
    const system = { IBS_WELDR_SYSTEM: '1' };
    expect(readWeldrConfig(system, (g) => g === 'weldr')).toEqual({ socketPath: '/run/weldr/api.socket', orgId: 'local', group: 'weldr', system: true });
    expect(readWeldrConfig(system, () => false)).toEqual({ socketPath: '/run/weldr/api.socket', orgId: 'local', system: true });
    expect(readWeldrConfig({ ...system, IBS_WELDR_SOCKET: '/srv/w.sock', IBS_WELDR_GROUP: 'wheel' }, () => true)).toEqual({
      socketPath: '/srv/w.sock',
      orgId: 'local',
      group: 'wheel',
      system: true,
    });
    expect(readWeldrConfig({ IBS_WELDR_SYSTEM: '0' }, () => true)).toEqual({ orgId: 'local' });
    expect(() => readWeldrConfig({ IBS_WELDR_SYSTEM: 'yes' })).toThrow(/IBS_WELDR_SYSTEM/);
  });

  it('system mode: a 0755 directory and a 0660 socket as root, refused for another user', async () => {
    const socketPath = join(mkdtempSync(join(tmpdir(), 'ibs-weldr-sys-')), 'run-weldr', 'api.socket');
    const starting = startWeldrSocket({ socketPath, orgId: 'o', defaultDistro: 'test-distro-1', system: true }, '/nonexistent', deps, log);
    if (process.getuid!() !== 0) {
      await expect(starting).rejects.toThrow(/needs root/);
      return;
    }
    const socket = await starting;
    try {
      expect({ dir: statSync(join(socketPath, '..')).mode & 0o777, socket: statSync(socketPath).mode & 0o777 }).toEqual({ dir: 0o755, socket: 0o660 });
      expect((await composerCli(socketPath).status()).status).toBe(200);
    } finally {
      await socket.close();
    }
  });

  it('listens at <data dir>/weldr/api.socket with mode 0660 and the group given by gid or by name', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ibs-weldr-sock-'));
    const gid = process.getgid!();
    const name = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => Number(f[2]) === gid)?.[0];
    for (const group of [String(gid), ...(name ? [name] : [])]) {
      const socket = await startWeldrSocket({ orgId: 'o', group, defaultDistro: 'test-distro-1' }, dataDir, deps, log);
      try {
        expect(socket.socketPath).toBe(join(dataDir, 'weldr', 'api.socket'));
        const st = statSync(socket.socketPath);
        expect({ socket: st.isSocket(), mode: st.mode & 0o777, gid: st.gid }).toEqual({ socket: true, mode: 0o660, gid });
        expect((await composerCli(socket.socketPath).status()).json()).toMatchObject({ api: '1', backend: 'osbuild-composer' });
      } finally {
        await socket.close();
      }
    }
    await expect(startWeldrSocket({ orgId: 'o', group: 'no-such-group-ibs', defaultDistro: 'test-distro-1' }, dataDir, deps, log)).rejects.toThrow(/no group named/);
  });

  it('replaces a stale socket file and refuses a path that is not a socket', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ibs-weldr-stale-'));
    const first = await startWeldrSocket({ orgId: 'o', defaultDistro: 'test-distro-1' }, dataDir, deps, log);
    // Left behind as by a killed process: the server is closed without removing the file.
    await new Promise<void>((resolve) => first.server.close(() => resolve()));
    const second = await startWeldrSocket({ orgId: 'o', defaultDistro: 'test-distro-1' }, dataDir, deps, log);
    expect((await composerCli(second.socketPath).status()).status).toBe(200);
    await second.close();
    const file = join(dataDir, 'not-a-socket');
    writeFileSync(file, 'x');
    await expect(startWeldrSocket({ socketPath: file, orgId: 'o', defaultDistro: 'test-distro-1' }, dataDir, deps, log)).rejects.toThrow(/is not a socket/);
  });
});
