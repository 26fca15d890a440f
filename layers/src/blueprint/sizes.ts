import { ValidationError } from '../errors.ts';

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** Largest size we accept: sizes must stay exact in a JS number (2^53 bytes = 8 PiB). */
export const MAX_SIZE = Number.MAX_SAFE_INTEGER;

/** Bytes from a number or a string with unit ("500 MiB", "1GiB", "2147483648"); 400 naming the field otherwise. */
export function parseSize(value: number | string, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError(field, `size ${value} must be a non-negative integer below 2^53 bytes`);
    return value;
  }
  const m = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(value);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new ValidationError(field, `"${value}" is not a size (use bytes or a unit: B, KiB, MiB, GiB, TiB, kB, MB, GB, TB)`);
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes)) throw new ValidationError(field, `size "${value}" overflows (maximum ${MAX_SIZE} bytes)`);
  return bytes;
}
