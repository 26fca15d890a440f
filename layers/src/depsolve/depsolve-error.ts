/** A request that cannot be satisfied; `message` is dnf's problem text. */
export class DepsolveError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DepsolveError';
  }
}
