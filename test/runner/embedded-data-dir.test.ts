import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmbeddedAdapters } from '../../layers/src/adapters/embedded/embedded-adapters.ts';

// The runner and the local API share one data directory: compose records and the signing key are the owner's only.

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8);

describe('the embedded adapters’ data directory', () => {
  it('is created 0700, with the database and the signing key 0600', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'ibs-modes-')), 'data');
    const adapters = createEmbeddedAdapters({ dataDir, publicBaseUrl: 'http://127.0.0.1:1', maxReceives: 4 });
    try {
      expect(modeOf(dataDir)).toBe('700');
      expect(modeOf(join(dataDir, 'ibs.sqlite'))).toBe('600');
      expect(modeOf(join(dataDir, 'signing.key'))).toBe('600');
    } finally {
      adapters.db.close();
    }
  });
});
