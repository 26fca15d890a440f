/**
 * The one small environment helper behind every deployable's config reader (local/config.ts,
 * functions/aws/config.ts, runner-ami/src/config.ts). The domain never reads the environment: config readers do,
 * once, at the composition root, and every bad value names its variable and what is allowed.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** Thrown for a bad setting; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

const present = (raw: string | undefined): raw is string => raw !== undefined && raw.trim() !== '';

/** A string setting, or the fallback when unset or blank. */
export function envString(env: Env, name: string, fallback: string): string;
export function envString(env: Env, name: string): string | undefined;
export function envString(env: Env, name: string, fallback?: string): string | undefined {
  const raw = env[name];
  return present(raw) ? raw.trim() : fallback;
}

/** A setting that must be there. */
export function envRequired(env: Env, name: string): string {
  const value = envString(env, name);
  if (value === undefined) throw new ConfigError(name, 'is required');
  return value;
}

/** A number within [min, max] (default: non-negative), whole when `integer`. */
export function envNumber(env: Env, name: string, fallback: number, bounds: { min?: number; max?: number; integer?: boolean } = {}): number {
  const raw = env[name];
  if (!present(raw)) return fallback;
  const value = Number(raw);
  const min = bounds.min ?? 0;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  const kind = bounds.integer ? 'a whole number' : 'a number';
  if (!Number.isFinite(value) || value < min || value > max || (bounds.integer && !Number.isInteger(value))) {
    throw new ConfigError(name, `must be ${kind} from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** One of a fixed set of words. */
export function envChoice<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = envString(env, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

/** A comma-separated list (blank entries dropped). */
export function envList(env: Env, name: string, fallback: readonly string[]): string[] {
  const value = envString(env, name);
  if (value === undefined) return [...fallback];
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}
