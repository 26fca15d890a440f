import type { InstanceProtection } from '../../layers/src/ports/instance-protection.ts';

export { noInstanceProtection, type InstanceProtection } from '../../layers/src/ports/instance-protection.ts';

/** Counts running builds and calls protect/unprotect only on 0→1 and 1→0; failures are logged, never fatal. */
export class BuildProtection {
  private active = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly protection: InstanceProtection,
    private readonly onError: (error: unknown, action: 'protect' | 'unprotect') => void,
  ) {}

  /** Resolves once the instance is protected (or protecting failed). */
  acquire(): Promise<void> {
    if (this.active++ === 0) this.enqueue('protect');
    return this.chain;
  }

  release(): Promise<void> {
    if (this.active > 0 && --this.active === 0) this.enqueue('unprotect');
    return this.chain;
  }

  private enqueue(action: 'protect' | 'unprotect'): void {
    this.chain = this.chain.then(() => this.protection[action]().catch((error: unknown) => this.onError(error, action)));
  }
}
