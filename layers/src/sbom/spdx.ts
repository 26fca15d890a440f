/**
 * SPDX 2.3 (JSON) software bill of materials for an image, from the depsolved package set that went into it —
 * the same source osbuild/images uses for its per-pipeline SBOMs.
 */
import { createHash } from 'node:crypto';
import type { ResolvedPackage } from '../packages/package-set.ts';

export interface SpdxChecksum {
  algorithm: string;
  checksumValue: string;
}

export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  supplier?: string;
  downloadLocation: string;
  filesAnalyzed: boolean;
  licenseConcluded?: string;
  licenseDeclared?: string;
  copyrightText?: string;
  checksums?: SpdxChecksum[];
  summary?: string;
  sourceInfo?: string;
  comment?: string;
  primaryPackagePurpose?: string;
  externalRefs?: { referenceCategory: string; referenceType: string; referenceLocator: string }[];
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
}

export interface SbomInput {
  /** Image (or pipeline) the SBOM describes, e.g. "centos-10-x86_64-guest-image". */
  name: string;
  packages: readonly ResolvedPackage[];
  /** Distribution id for purls (fedora, centos, almalinux, rocky) and its version. */
  distro: { id: string; version: string };
  /** Identifies this document (e.g. the compose id): the namespace is derived from it, so output is reproducible. */
  documentId: string;
  /** RFC 3339 creation time (the compose's); passed in so the document is deterministic. */
  created: string;
  toolVersion?: string;
}

const ALGORITHMS: Record<string, string> = { md5: 'MD5', sha1: 'SHA1', sha224: 'SHA224', sha256: 'SHA256', sha384: 'SHA384', sha512: 'SHA512' };

/** Simple SPDX license expression check: ids joined by AND/OR/WITH with parentheses; RPM "License:" values often are. */
const SPDX_EXPRESSION = /^\(?[A-Za-z0-9.+-]+( (AND|OR|WITH) \(?[A-Za-z0-9.+-]+\)?)*\)?$/;

const spdxId = (p: ResolvedPackage): string =>
  `SPDXRef-RPM-${p.name.replace(/[^A-Za-z0-9.-]/g, '-')}-${p.arch.replace(/[^A-Za-z0-9.-]/g, '-')}-${p.checksum.slice(p.checksum.indexOf(':') + 1, p.checksum.indexOf(':') + 13)}`;

export const evr = (p: ResolvedPackage): string => `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}`;

/** Package URL as syft/osbuild write them for RPMs. */
export function rpmPurl(p: ResolvedPackage, distro: { id: string; version: string }): string {
  const q = [`arch=${encodeURIComponent(p.arch)}`, ...(p.epoch ? [`epoch=${p.epoch}`] : []), `distro=${encodeURIComponent(`${distro.id}-${distro.version}`)}`];
  return `pkg:rpm/${encodeURIComponent(distro.id)}/${encodeURIComponent(p.name)}@${encodeURIComponent(`${p.version}-${p.release}`)}?${q.join('&')}`;
}

function spdxPackage(p: ResolvedPackage, distro: SbomInput['distro']): SpdxPackage {
  const [algo, value] = p.checksum.split(':');
  const license = p.license?.trim();
  const pkg: SpdxPackage = {
    SPDXID: spdxId(p),
    name: p.name,
    versionInfo: evr(p),
    supplier: 'NOASSERTION',
    downloadLocation: p.remoteLocation || 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: license && SPDX_EXPRESSION.test(license) ? license : 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: rpmPurl(p, distro) }],
  };
  if (ALGORITHMS[algo] && value) pkg.checksums = [{ algorithm: ALGORITHMS[algo], checksumValue: value }];
  if (p.summary) pkg.summary = p.summary;
  if (p.sourceRpm) pkg.sourceInfo = `built from source package ${p.sourceRpm}`;
  if (license && pkg.licenseDeclared === 'NOASSERTION') pkg.comment = `RPM License: ${license}`;
  return pkg;
}

/** An SPDX 2.3 document: the image as the described root, CONTAINS every installed package. */
export function generateSpdx(input: SbomInput): SpdxDocument {
  const unique = new Map<string, ResolvedPackage>();
  // the same RPM can come from several pipelines with more or less metadata: merge, independent of order
  for (const p of input.packages) {
    const seen = unique.get(p.checksum);
    unique.set(p.checksum, seen ? { ...p, ...Object.fromEntries(Object.entries(seen).filter(([, v]) => v !== undefined)) } : p);
  }
  const packages = [...unique.values()].sort((a, b) => (a.name === b.name ? (a.arch < b.arch ? -1 : 1) : a.name < b.name ? -1 : 1));
  const namespaceId = createHash('sha256').update(`${input.documentId}\0${input.name}`).digest('hex');
  const root: SpdxPackage = {
    SPDXID: 'SPDXRef-Image',
    name: input.name,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    primaryPackagePurpose: 'OPERATING-SYSTEM',
    versionInfo: `${input.distro.id}-${input.distro.version}`,
  };
  const spdxPackages = packages.map((p) => spdxPackage(p, input.distro));
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: input.name,
    documentNamespace: `https://image-builder-serverless.invalid/spdx/${encodeURIComponent(input.name)}-${namespaceId}`,
    creationInfo: { created: input.created, creators: [`Tool: image-builder-serverless-${input.toolVersion ?? '0.1.0'}`] },
    packages: [root, ...spdxPackages],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' },
      ...spdxPackages.map((p) => ({ spdxElementId: 'SPDXRef-Image', relationshipType: 'CONTAINS', relatedSpdxElement: p.SPDXID })),
    ],
  };
}

/** "centos-10" → { id: "centos", version: "10" }. */
export function distroOf(distribution: string): { id: string; version: string } {
  const i = distribution.lastIndexOf('-');
  return i > 0 ? { id: distribution.slice(0, i), version: distribution.slice(i + 1) } : { id: distribution, version: '' };
}

/**
 * The SBOMs of one image request, like osbuild/images writes them: one for the image content (the `os` package set)
 * and one for the build root (`build`). `GET /composes/{id}/sboms` serves these.
 */
export function imageSboms(o: {
  distribution: string;
  architecture: string;
  imageType: string;
  packages: Record<string, readonly ResolvedPackage[]>;
  documentId: string;
  created: string;
}): { pipeline: string; document: SpdxDocument }[] {
  const name = `${o.distribution}-${o.architecture}-${o.imageType}`;
  const distro = distroOf(o.distribution);
  return Object.keys(o.packages)
    .sort((a, b) => (a === 'os' ? -1 : b === 'os' ? 1 : a < b ? -1 : 1))
    .map((pipeline) => ({
      pipeline,
      document: generateSpdx({
        name: pipeline === 'os' ? name : `${name}-${pipeline}`,
        packages: o.packages[pipeline],
        distro,
        documentId: o.documentId,
        created: o.created,
      }),
    }));
}
