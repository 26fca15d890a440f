/**
 * Request limits: how many entries one blueprint may list. Far above what a real image needs (the hosted service
 * allows 10,000 packages), they bound the work one request can cause even though every check is linear. The API
 * schema (openapi.yaml maxItems/maxLength) states the same numbers; a test keeps the two equal.
 */
export const CUSTOMIZATION_LIMITS = {
  packages: 10_000,
  enabled_modules: 1_000,
  containers: 100,
  files: 1_000,
  directories: 1_000,
  users: 100,
  groups: 100,
  /** Supplementary groups of one user. */
  user_groups: 100,
  filesystem: 128,
  repositories: 100,
  /** Base URLs or GPG keys of one repository. */
  repository_urls: 100,
  services: 1_000,
  firewall: 1_000,
  ntpservers: 100,
  languages: 100,
  pem_certs: 100,
} as const;

export type CustomizationLimit = keyof typeof CUSTOMIZATION_LIMITS;

/** Longest file, directory or mount point path (Linux PATH_MAX, including the final NUL). */
export const MAX_PATH_LENGTH = 4095;

/** The sentence every over-the-limit answer uses: it names the limit. */
export const overLimitMessage = (limit: number, count?: number): string =>
  `exceeds the request limit of ${limit} entries${count === undefined ? '' : ` (has ${count})`}`;
