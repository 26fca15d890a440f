/**
 * The `ostree` options of `POST compose` (composer-cli `compose start-ostree`), as composer handles them: decoded into
 * images' ostree.ImageOptions (a value of the wrong JSON type fails the whole decode: composer's 404), then, when
 * present (even `{}`), checked by images' checkOptionsCommon, whose first check refuses them for an image type that is
 * not ostree-based. This service builds no ostree-based image type, so a compose start with `ostree` is always that
 * refusal (composer's ManifestCreationFailed, before anything is stored); ref/parent/url validation and the commit
 * fetch (images' ImageOptions.Validate, ostree.Resolve) only run for ostree-based types.
 */
import { WeldrError } from './weldr-errors.ts';

/** images' ostree.ImageOptions, by its JSON names. */
export interface WeldrOSTreeOptions {
  ref: string;
  parent: string;
  url: string;
  contenturl: string;
  rhsm: boolean;
}

const STRING_FIELDS = ['ref', 'parent', 'url', 'contenturl'] as const;

/** composer's answer to a compose request Go cannot decode. */
const undecodable = (why: string) => new WeldrError(404, 'HTTPError', 'Not Found', { code: 404, cause: new Error(why) });

/**
 * `ostree` as Go's decoder reads it into `*ostree.ImageOptions`: absent or null is no options; an object's known
 * fields must have their Go types (null leaves a field unset), unknown fields are ignored.
 */
export function decodeWeldrOSTree(value: unknown): WeldrOSTreeOptions | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw undecodable('ostree is not an object');
  const raw = value as Record<string, unknown>;
  const options: WeldrOSTreeOptions = { ref: '', parent: '', url: '', contenturl: '', rhsm: false };
  for (const field of STRING_FIELDS) {
    const v = raw[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw undecodable(`ostree.${field} is not a string`);
    options[field] = v;
  }
  if (raw.rhsm !== undefined && raw.rhsm !== null) {
    if (typeof raw.rhsm !== 'boolean') throw undecodable('ostree.rhsm is not a boolean');
    options.rhsm = raw.rhsm;
  }
  return options;
}

/**
 * images' checkOptionsCommon for an image type that is not ostree-based (every type here): any ostree options are
 * refused, with composer's id and message (`typeName`: the name composer gives the type).
 */
export function refuseOSTreeOptions(options: WeldrOSTreeOptions | undefined, typeName: string): void {
  if (!options) return;
  throw new WeldrError(400, 'ManifestCreationFailed', `failed to initialize osbuild manifest: OSTree is not supported for "${typeName}"`);
}
