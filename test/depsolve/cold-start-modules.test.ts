import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { ESBUILD_OPTIONS } from '../../functions/aws/bundles.ts';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'ibs-cold-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The depsolver as a Lambda wires it (guarded fetch), bundled as shipped: which Node built-ins loading it costs.
const ENTRY = `
import { IndexStore, RepoDepsolver } from ${JSON.stringify(join(root, 'layers/src/depsolve/index.ts'))};
import { refusedAddressReason } from ${JSON.stringify(join(root, 'layers/src/depsolve/address-guard.ts'))};
const store = new IndexStore({ blobStore: {}, allowPrivateAddresses: false });
new RepoDepsolver({ store });
const loaded = () => process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
const before = loaded();
const reason = refusedAddressReason('10.1.2.3');
process.stdout.write(JSON.stringify({ before, after: loaded(), reason }));
`;

describe('a cold depsolve process', () => {
  it('loads zlib, net, dns and the HTTP clients only when it fetches or decompresses', async () => {
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, ENTRY);
    const outfile = join(dir, 'entry.mjs');
    await build({ ...ESBUILD_OPTIONS, entryPoints: [entry], outfile, logLevel: 'error' });
    const out = JSON.parse(execFileSync(process.execPath, [outfile], { encoding: 'utf8', env: { PATH: process.env.PATH } })) as {
      before: string[];
      after: string[];
      reason: string;
    };
    const lazy = ['zlib', 'net', 'dns', 'http', 'https', 'tls'];
    expect(out.before.filter((m) => lazy.includes(m))).toEqual([]);
    // The address check still works, loading node:net on its first use.
    expect(out.reason).toBe('a private address');
    expect(out.after).toContain('net');
  });
});
