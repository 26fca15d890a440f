/**
 * Package details from primary.xml (name, EVRA, summary, description, url, build time, licence), streamed through the
 * shared XML scanner: the solve index keeps none of these texts, Weldr's `projects/*` answers need them.
 */
import type { PackageDetails } from '../packages/package-details.ts';
import { XmlScanner, type XmlHandler } from './xml-scanner.ts';

/** The texts kept per package, by element name (`rpm:license` inside `<format>`). */
const TEXT_FIELDS: Record<string, 'name' | 'arch' | 'summary' | 'description' | 'url' | 'license'> = {
  name: 'name',
  arch: 'arch',
  summary: 'summary',
  description: 'description',
  url: 'url',
  'rpm:license': 'license',
};

/**
 * A copy that does not share the scanner's input chunk: V8 keeps a substring as a slice of its parent, so kept texts
 * would otherwise hold every chunk of primary.xml in memory (short strings are copied by V8 already).
 */
const ownCopy = (text: string): string => (text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8'));

/** Collects one PackageDetails per `<package>` element; everything else in primary.xml is skipped. */
class DetailsHandler implements XmlHandler {
  readonly packages: PackageDetails[] = [];
  private current?: PackageDetails;
  /** Element depth inside the current `<package>` (1 = its direct children). */
  private depth = 0;

  open(name: string, attrs: Record<string, string>): void {
    if (!this.current) {
      if (name === 'package') {
        this.current = { name: '', epoch: 0, version: '', release: '', arch: '', summary: '', description: '', url: '', buildTime: 0, license: '' };
        this.depth = 0;
      }
      return;
    }
    this.depth++;
    if (name === 'version') {
      this.current.epoch = Number(attrs.epoch ?? 0) || 0;
      this.current.version = attrs.ver ?? '';
      this.current.release = attrs.rel ?? '';
    } else if (name === 'time') {
      this.current.buildTime = Number(attrs.build ?? 0) || 0;
    }
  }

  close(name: string, text: string): void {
    const p = this.current;
    if (!p) return;
    if (name === 'package' && this.depth === 0) {
      this.packages.push(p);
      this.current = undefined;
      return;
    }
    const field = TEXT_FIELDS[name];
    // Only the package's own elements (depth 1), and `rpm:license` inside `<format>` (depth 2).
    if (field && (this.depth === 1 || (field === 'license' && this.depth === 2))) p[field] = ownCopy(text);
    this.depth--;
  }
}

/** Every package of a primary.xml stream, in document order. */
export async function parsePackageDetails(chunks: AsyncIterable<Uint8Array>): Promise<PackageDetails[]> {
  const handler = new DetailsHandler();
  const scanner = new XmlScanner(handler);
  for await (const chunk of chunks) scanner.writeBytes(chunk);
  scanner.end();
  return handler.packages;
}
