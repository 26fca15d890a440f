/**
 * Composer's error answer, `{"status":false,"errors":[{"id","msg"}]}`, with the error ids osbuild-composer's Weldr API
 * uses (internal/weldr/api.go): clients such as composer-cli match on the id, not on the message.
 */
export interface WeldrErrorEntry {
  /** Only composer's 404 HTTPError carries it. */
  code?: number;
  id: string;
  msg: string;
}

/** A request the Weldr API refuses: the HTTP status and composer's error entries. */
export class WeldrError extends Error {
  readonly entries: WeldrErrorEntry[];
  constructor(
    readonly status: number,
    id: string,
    msg: string,
    options?: { cause?: unknown; code?: number },
  ) {
    super(`${id}: ${msg}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.entries = [{ ...(options?.code ? { code: options.code } : {}), id, msg }];
  }
}

/** composer's notFoundHandler: 404 with `code` in the entry. */
export const notFoundError = (): WeldrError => new WeldrError(404, 'HTTPError', 'Not Found', { code: 404 });

/** composer's verifyStringsWithRegex failure. */
export const invalidCharsError = (): WeldrError => new WeldrError(400, 'InvalidChars', 'Invalid characters in API path');

export const weldrErrorBody = (entries: WeldrErrorEntry[]) => ({ status: false, errors: entries });

/** composer's ValidBlueprintName; also used for commits and compose filters. */
export const VALID_NAME = /^[a-zA-Z0-9._-]+$/;

/** Throws InvalidChars unless every name is non-empty and matches VALID_NAME. */
export function checkNames(names: string[]): void {
  for (const name of names) if (!VALID_NAME.test(name)) throw invalidCharsError();
}

/** composer's parseOffsetAndLimit: offset 0 and limit 20 by default; BadLimitOrOffset otherwise. */
export function readOffsetAndLimit(query: URLSearchParams): { offset: number; limit: number } {
  const read = (key: string, fallback: number) => {
    const value = query.get(key);
    if (value === null || value === '') return fallback;
    if (!/^\d+$/.test(value)) throw new WeldrError(400, 'BadLimitOrOffset', `BadRequest: invalid value for '${key}': strconv.ParseUint: parsing "${value}": invalid syntax`);
    return Number(value);
  };
  return { offset: read('offset', 0), limit: read('limit', 20) };
}
