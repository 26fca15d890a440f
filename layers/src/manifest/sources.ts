import { createHash } from 'node:crypto';
import type { ResolvedPackage } from '../packages/package-set.ts';
import type { Manifest } from './manifest.ts';

/** Collects the manifest's sources: curl items for packages, inline items for file contents. */
export class SourceCollector {
  private readonly curl = new Map<string, string>();
  /** Checksums downloaded without TLS verification (packages of repositories with sslverify off). */
  private readonly insecure = new Set<string>();
  private readonly inline = new Map<string, string>();

  addPackages(packages: readonly ResolvedPackage[]): void {
    for (const p of packages) {
      const existing = this.curl.get(p.checksum);
      if (existing !== undefined && existing !== p.remoteLocation) {
        throw new Error(`package checksum ${p.checksum} has two URLs: ${existing} and ${p.remoteLocation}`);
      }
      this.curl.set(p.checksum, p.remoteLocation);
      if (p.ignoreSsl) this.insecure.add(p.checksum);
    }
  }

  /** Stores content inline (text as UTF-8, bytes as they are) and returns its `sha256:` checksum (the osbuild source key). */
  addInline(data: Uint8Array | string): string {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const checksum = `sha256:${createHash('sha256').update(buf).digest('hex')}`;
    this.inline.set(checksum, buf.toString('base64'));
    return checksum;
  }

  /** Sorted by checksum, as Go's JSON encoding of maps orders them. */
  toSources(): NonNullable<Manifest['sources']> {
    const sources: NonNullable<Manifest['sources']> = {};
    if (this.curl.size) {
      sources['org.osbuild.curl'] = {
        items: Object.fromEntries([...this.curl.keys()].sort().map((k) => [k, { url: this.curl.get(k)!, ...(this.insecure.has(k) ? { insecure: true } : {}) }])),
      };
    }
    if (this.inline.size) {
      sources['org.osbuild.inline'] = {
        items: Object.fromEntries([...this.inline.keys()].sort().map((k) => [k, { encoding: 'base64', data: this.inline.get(k) }])),
      };
    }
    return sources;
  }
}
