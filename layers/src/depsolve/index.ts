/** Public entry point of the depsolver (used by the manifest worker, the CLI and the HTTP endpoints). */
export { RepoDepsolver, DepsolveError, searchLoaded, type RepoDepsolverOptions, type ResolveSetOptions, type SearchResult } from './depsolver.ts';
export { IndexStore, DEFAULT_INDEX_MEMORY_BYTES, type IndexStoreOptions, type LoadedRepository } from './index-store.ts';
export { refusedAddressReason, createGuardedFetch, type GuardedFetchOptions } from './address-guard.ts';
export { DEFAULT_METADATA_LIMITS, type MetadataLimits } from './metadata-limits.ts';
export { RepositoryError, type FetchFn, type Substitutions } from './repo-metadata.ts';
export { rpmvercmp, compareEvr, parseEvr, formatEvr, type Evr } from './rpm-version.ts';
export { RepoIndex } from './repo-index.ts';
