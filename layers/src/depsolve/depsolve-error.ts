import { UnsatisfiableError } from '../errors.ts';

/** A request that cannot be satisfied; `message` is dnf's problem text. */
export class DepsolveError extends UnsatisfiableError {}
