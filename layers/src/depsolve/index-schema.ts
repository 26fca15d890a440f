/**
 * The layout of a stored index's package records and dependency words, and the types its readers share: field
 * numbers, dependency kinds and flags, package info, comps. No code: repo-index.ts reads the index by them.
 */
export const DEP_KINDS = [
  'provides',
  'requires',
  'conflicts',
  'obsoletes',
  'recommends',
  'suggests',
  'supplements',
  'enhances',
] as const;
export type DepKind = (typeof DEP_KINDS)[number];
export const KIND: Record<DepKind, number> = Object.fromEntries(DEP_KINDS.map((k, i) => [k, i])) as Record<DepKind, number>;

/** Dependency flag bits, as libsolv: GT=1, EQ=2, LT=4; PRE marks Requires(pre/post/...). */
export const REL_GT = 1;
export const REL_EQ = 2;
export const REL_LT = 4;
export const DEP_PRE = 8;
/** The name string is a rich (boolean) dependency expression. */
export const DEP_RICH = 16;
/** The flag bits of a dependency (stored in the low bits of its word, index-format.ts). */
export const DEP_FLAG_BITS = 5;
export const DEP_FLAG_MASK = (1 << DEP_FLAG_BITS) - 1;

/** Per-package fields (string ids unless noted), stride of the `pkgs` array. */
export const P_NAME = 0;
export const P_EPOCH = 1; // number
export const P_VERSION = 2;
export const P_RELEASE = 3;
export const P_ARCH = 4;
export const P_CHECKSUM = 5; // "algo:hex", or RAW_DIGEST (index-compaction.ts)
export const P_LOCATION = 6; // href, or DERIVED_LOCATION
export const P_BASE = 7; // xml:base, 0 = none
export const P_SUMMARY = 8;
export const P_LICENSE = 9;
export const P_SOURCERPM = 10; // or SOURCE_NAME | the source name's id
export const P_URL = 11;
export const P_DESCRIPTION = 12;
export const P_SIZE = 13; // number (package size; low 32 bits)
export const P_STRIDE = 14;

/** A package's download and description fields (`base` is its xml:base, '' when none). */
export interface PackageInfo {
  checksum: string;
  location: string;
  base: string;
  summary: string;
  license: string;
  sourcerpm: string;
}

/** IndexMeta key of the packages with Supplements (ascending numbers), listed at build; older indexes lack it. */
export const SUPPLEMENTING_META = 'packagesWithSupplements';

export interface IndexMeta {
  /** repomd revision checksum the index was built from. */
  revision: string;
  /** Free-form data carried with the index (repository id, filelists location, comps...). */
  [key: string]: unknown;
}

export interface CompsGroupPackage {
  name: string;
  type: 'mandatory' | 'default' | 'optional' | 'conditional';
  requires?: string;
  basearchonly?: boolean;
}
export interface CompsGroup {
  id: string;
  name: string;
  description?: string;
  packages: CompsGroupPackage[];
}
export interface CompsEnvironment {
  id: string;
  name: string;
  description?: string;
  groups: string[];
  optionalGroups: string[];
}
export interface Comps {
  groups: CompsGroup[];
  environments: CompsEnvironment[];
}

/** The string fields of a package record by property name, in the order the builder interns them. */
export const STRING_FIELDS = {
  name: P_NAME,
  version: P_VERSION,
  release: P_RELEASE,
  arch: P_ARCH,
  checksum: P_CHECKSUM,
  location: P_LOCATION,
  base: P_BASE,
  summary: P_SUMMARY,
  license: P_LICENSE,
  sourcerpm: P_SOURCERPM,
  url: P_URL,
  description: P_DESCRIPTION,
} as const;
